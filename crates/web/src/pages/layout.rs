//! The page shell: title, the one stylesheet, navigation, and a footer naming the JSON twin.

use maud::{html, Markup, DOCTYPE};

/// A whole page around `body`; `api` is the JSON URL that holds the same data.
pub fn page(title: &str, api: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · relayhunt" }
                link rel="stylesheet" href=(crate::assets::CSS_PATH);
            }
            body {
                header.top {
                    a.brand href="/" { "relayhunt" }
                    nav {
                        a href="/" { "Analyze" }
                        a href="/relays" { "Relays" }
                        a href="/probes" { "Probes" }
                        a href="/audits" { "Audits" }
                    }
                }
                main { (body) }
                footer {
                    @if let Some(api) = api {
                        "The same data as JSON: " a href=(api) { (api) } " · "
                    }
                    a href="/api" { "API index" }
                }
            }
        }
    }
}
