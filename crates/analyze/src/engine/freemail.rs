//! Free webmail services, as a data table: domains whose users' mail leaves through the
//! service's own servers.
//!
//! A message from `someone@web.de` that entered the internet through an unrelated server,
//! or a client greeting as `mail.flashmail.com` from an address that is not the service's,
//! is a stranger borrowing the service's name: its real servers would have carried the
//! mail. The large mailbox providers with published address ranges live in the provider
//! table; this table adds the free services known only by their domains (the core of
//! SpamAssassin's `freemail_domains` list, which spam filters use for the same reason).

use super::identity::org_cow;

/// Organisational domains of free webmail services.
#[rustfmt::skip]
pub const FREEMAIL: &[&str] = &[
    // Europe
    "web.de", "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "gmx.com", "freenet.de", "firemail.de",
    "t-online.de", "arcor.de", "libero.it", "virgilio.it", "tiscali.it", "tiscali.co.uk",
    "laposte.net", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "seznam.cz", "centrum.cz",
    "wp.pl", "o2.pl", "onet.pl", "interia.pl", "mail.ru", "inbox.ru", "list.ru", "bk.ru",
    "yandex.ru", "yandex.com", "rambler.ru", "ukr.net", "abv.bg", "freemail.hu", "citromail.hu",
    "bluewin.ch", "tutanota.com", "protonmail.com", "proton.me", "btinternet.com",
    // Americas
    "netscape.net", "netscape.com", "excite.com", "lycos.com", "juno.com", "netzero.net",
    "earthlink.net", "mail.com", "email.com", "usa.net", "hushmail.com", "flashmail.com",
    "rocketmail.com", "ymail.com", "live.com", "bol.com.br", "uol.com.br", "terra.com.br",
    "ig.com.br", "prodigy.net.mx", "gmx.us",
    // Asia
    "hanmail.net", "daum.net", "naver.com", "korea.com", "koreanmail.com", "163.com",
    "126.com", "yeah.net", "sina.com", "sina.com.cn", "sohu.com", "qq.com", "tom.com",
    "21cn.com", "rediffmail.com", "indiatimes.com", "sify.com",
];

/// The free webmail service a domain or host name belongs to (its organisational domain),
/// if any.
pub fn service(name: &str) -> Option<&'static str> {
    let org = org_cow(name)?;
    FREEMAIL.iter().find(|f| **f == org).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_organisational_domain() {
        assert_eq!(service("mail.Flashmail.com"), Some("flashmail.com"));
        assert_eq!(service("web.de"), Some("web.de"));
        assert_eq!(service("mx.example.net"), None);
        // A look-alike under another registered domain is not the service.
        assert_eq!(service("web.de.evil.example"), None);
        for d in FREEMAIL {
            assert_eq!(
                org_cow(d).as_deref(),
                Some(*d),
                "{d} is not an organisational domain"
            );
        }
    }
}
