//! The hosted pages (sign-in, binding, passkeys, recovery, messages) in the shared layout.
//! Element ids are what `assets/*.js` drive through the SDK; the recovery form and every
//! message work without JavaScript.

use maud::{html, Markup};

use super::{page, Header, Look};

/// `/.passgate/login`.
pub fn login(look: &Look) -> Markup {
    let body = html! {
        h1 { "Sign in to " (look.name) }
        p { "Use your passkey: your fingerprint, face, screen lock or security key." }
        button #signin type="button" { "Sign in with a passkey" }
        form #username-form novalidate {
            p { "Or enter your username first (for passkeys your browser cannot offer on its own):" }
            label for="username" { "Username" }
            input #username name="username" type="text" autocomplete="username webauthn"
                autocapitalize="none" spellcheck="false" maxlength="128";
            button #continue type="submit" { "Continue" }
        }
        p #status .status role="status" aria-live="polite" {}
        p { small { a href="/.passgate/recover" { "Lost your passkey?" } } }
    };
    page(look, "Sign in", &["login.js"], &Header::default(), body)
}

/// `/.passgate/bind?token=` (the link is good).
pub fn bind(look: &Look) -> Markup {
    let body = html! {
        h1 { "Create your passkey for " (look.name) }
        section #intro {
            p { "A passkey lets you sign in with your fingerprint, face, screen lock or security key \
                 instead of a password. It stays on your device (or in your password manager) and only \
                 works on this site." }
            p { "When you continue, your browser will ask you to confirm. This link works once." }
            button #create type="button" { "Create passkey" }
        }
        p #status .status role="status" aria-live="polite" {}
        section #done hidden {
            p { strong { "Your passkey is ready." } " You are signed in and can use it to sign in from now on." }
        }
    };
    page(
        look,
        "Create your passkey",
        &["bind.js"],
        &Header::default(),
        body,
    )
}

/// `/.passgate/recover`.
pub fn recover(look: &Look) -> Markup {
    let body = html! {
        h1 { "Lost your passkey?" }
        p { "Enter the email address of your account. If it belongs to an active account, we will \
             send a link to create a new passkey." }
        form method="post" action="/.passgate/recover" {
            label for="email" { "Email address" }
            input #email name="email" type="email" autocomplete="email" required maxlength="320";
            button type="submit" { "Send me a link" }
        }
        p { small { a href="/.passgate/login" { "Back to sign-in" } } }
    };
    page(look, "Lost your passkey?", &[], &Header::default(), body)
}

/// `/.passgate/passkeys` for `username`.
pub fn passkeys(look: &Look, username: &str) -> Markup {
    let header = Header {
        signed_in: Some((username.to_string(), "/.passgate/logout".into())),
        ..Header::default()
    };
    let body = html! {
        h1 { "Your passkeys" }
        p { "Signed in as " strong { (username) } "." }
        ul #list aria-label="Your passkeys" {}
        button #add type="button" { "Add a passkey" }
        p #status .status role="status" aria-live="polite" {}
        p { small { a href="/.passgate/logout" { "Sign out" } } }
    };
    page(look, "Your passkeys", &["passkeys.js"], &header, body)
}

/// A page that only says something (errors, outcomes).
pub fn message(look: &Look, title: &str, text: &str) -> Markup {
    let body = html! {
        h1 { (title) }
        p { (text) }
    };
    page(look, title, &[], &Header::default(), body)
}
