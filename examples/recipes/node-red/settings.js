// Node-RED behind passgate: the editor and the admin API accept a request when its
// X-Passgate-Jwt-Assertion (route `assertion = true`) verifies against passgate's JWKS:
// an EdDSA signature by a published key, `iss` = passgate's public_url, `aud` = the
// route's host, not expired. A bare header, or a token signed by anyone else, is refused,
// so the check holds even for a request that did not come through passgate.
//
// Environment:
//   PASSGATE_JWKS_URL      passgate's key set, e.g. https://auth.example.com/.passgate/jwks.json
//   PASSGATE_ISSUER        passgate's public_url, e.g. https://auth.example.com
//   PASSGATE_AUDIENCE      the route's host, e.g. nodered.example.com
//   PASSGATE_ADMIN_GROUPS  passgate groups with full access (comma-separated, default
//                          "admins"); every other signed-in user may only read
//   NODE_RED_HOST, PORT    where Node-RED listens (default 127.0.0.1:1880)
//
// `jose` (npm) must be installed where this file can require it, e.g. in Node-RED's user
// directory next to this file (cd ~/.node-red && npm install jose@5).

const jose = require("jose");

function required(name) {
    const value = process.env[name];
    if (!value) {
        throw new Error(`settings.js: set ${name} (see the comment at the top)`);
    }
    return value;
}

const issuer = required("PASSGATE_ISSUER");
const audience = required("PASSGATE_AUDIENCE");
// Fetched on first use and again when a token names an unknown key (passgate's key
// rotation), at most every 30 seconds.
const keys = jose.createRemoteJWKSet(new URL(required("PASSGATE_JWKS_URL")));
const adminGroups = (process.env.PASSGATE_ADMIN_GROUPS || "admins")
    .split(",")
    .map((g) => g.trim())
    .filter(Boolean);

module.exports = {
    uiHost: process.env.NODE_RED_HOST || "127.0.0.1",
    uiPort: Number(process.env.PORT || 1880),
    flowFile: "flows.json",
    credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || false,

    adminAuth: {
        type: "credentials",
        // No passwords: passgate is the only way in.
        users: [],
        tokenHeader: "x-passgate-jwt-assertion",
        tokens: async function (token) {
            try {
                const { payload } = await jose.jwtVerify(token, keys, {
                    issuer,
                    audience,
                    algorithms: ["EdDSA"],
                });
                const groups = Array.isArray(payload.groups) ? payload.groups : [];
                return {
                    username: payload.username || payload.sub,
                    permissions: groups.some((g) => adminGroups.includes(g)) ? "*" : "read",
                };
            } catch (e) {
                return null;
            }
        },
    },

    logging: { console: { level: "info", metrics: false, audit: false } },
};
