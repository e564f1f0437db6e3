//! SMTP delivery of credential binding links (`lettre`): the transport built from `[email]`
//! (STARTTLS, implicit TLS or none; optional credentials, never logged), and the text and
//! HTML bodies rendered from templates (built in, or files the operator names) with
//! `{{name}}`, `{{realm}}`, `{{link}}` and `{{expire_time}}` (HTML-escaped in the HTML body).

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::email::{EmailSettings, SmtpSecurity};

const TEXT_TEMPLATE: &str = include_str!("../assets/mail/binding.txt");
const HTML_TEMPLATE: &str = include_str!("../assets/mail/binding.html");

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("email template {path}: {message}")]
    Template { path: String, message: String },
    #[error("invalid address: {0}")]
    Address(String),
    #[error("SMTP setup: {0}")]
    Setup(String),
    #[error("SMTP delivery failed: {0}")]
    Delivery(String),
}

/// One binding-link message.
pub struct LinkMail<'a> {
    pub to: &'a str,
    /// The recipient's display name.
    pub name: &'a str,
    /// The realm's display name (the brand in the message).
    pub realm: &'a str,
    pub link: &'a str,
    pub expire_time: &'a str,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `[email] timeout`: the longest one mail's delivery may take, from connecting to the
    /// server's last reply. lettre's own timeout bounds only the connection: a server that
    /// accepts the message and never answers held the sending task (and a `create` call
    /// with it) indefinitely.
    timeout: std::time::Duration,
    from: Mailbox,
    text: String,
    html: String,
}

fn read_template(path: &Option<std::path::PathBuf>, builtin: &str) -> Result<String, MailError> {
    match path {
        None => Ok(builtin.to_string()),
        Some(p) => std::fs::read_to_string(p).map_err(|e| MailError::Template {
            path: p.display().to_string(),
            message: e.to_string(),
        }),
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn render(template: &str, m: &LinkMail<'_>, escape: fn(&str) -> String) -> String {
    template
        .replace("{{name}}", &escape(m.name))
        .replace("{{realm}}", &escape(m.realm))
        .replace("{{link}}", &escape(m.link))
        .replace("{{expire_time}}", &escape(m.expire_time))
}

impl Mailer {
    pub fn new(settings: &EmailSettings) -> Result<Mailer, MailError> {
        let setup = |e: lettre::transport::smtp::Error| MailError::Setup(e.to_string());
        let builder = match settings.security {
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(setup)?
            }
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(setup)?
            }
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
        };
        let mut builder = builder.port(settings.port).timeout(Some(settings.timeout));
        if let (Some(u), Some(p)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            timeout: settings.timeout,
            from: settings
                .from
                .parse()
                .map_err(|e: lettre::address::AddressError| MailError::Address(e.to_string()))?,
            text: read_template(&settings.text_template, TEXT_TEMPLATE)?,
            html: read_template(&settings.html_template, HTML_TEMPLATE)?,
        })
    }

    /// The message for `m` (subject branded with the realm's name).
    pub fn message(&self, m: &LinkMail<'_>) -> Result<Message, MailError> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e: lettre::address::AddressError| MailError::Address(e.to_string()))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(format!("Create your passkey for {}", m.realm))
            .multipart(MultiPart::alternative_plain_html(
                render(&self.text, m, str::to_string),
                render(&self.html, m, escape_html),
            ))
            .map_err(|e| MailError::Setup(e.to_string()))
    }

    /// Sends one link mail; counted in `passgate_mails_total` (sent or failed).
    pub async fn send_link(&self, m: &LinkMail<'_>) -> Result<(), MailError> {
        let sent = match self.message(m) {
            Ok(message) => {
                match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
                    Ok(done) => done
                        .map(|_| ())
                        .map_err(|e| MailError::Delivery(e.to_string())),
                    Err(_) => Err(MailError::Delivery(format!(
                        "the SMTP server did not finish within {:?} ([email] timeout)",
                        self.timeout
                    ))),
                }
            }
            Err(e) => Err(e),
        };
        crate::metrics::events().mail(sent.is_ok());
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_escapes() {
        let m = LinkMail {
            to: "a@example.com",
            name: "Ann <admin>",
            realm: "Acme",
            link: "https://x/.passgate/bind?token=t&a=1",
            expire_time: "2026-01-01T00:00:00Z",
        };
        let html = render(HTML_TEMPLATE, &m, escape_html);
        assert!(html.contains("Ann &lt;admin&gt;"));
        assert!(html.contains("token=t&amp;a=1"));
        let text = render(TEXT_TEMPLATE, &m, str::to_string);
        assert!(text.contains("https://x/.passgate/bind?token=t&a=1"));
        assert!(text.contains("Acme"));
    }
}
