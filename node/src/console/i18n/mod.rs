//! The console's languages: every label, field name, code list entry and error message
//! through Fluent, from the `.ftl` files beside this module, embedded in the binary.
//! Message content stays as the sender wrote it.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Portuguese.
    Pt,
    /// Russian.
    Ru,
    /// Arabic (right to left).
    Ar,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 6] = [Lang::En, Lang::Fr, Lang::Es, Lang::Pt, Lang::Ru, Lang::Ar];

    /// Its code: `en`, `fr`, `es`, `pt`, `ru`, `ar`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::Ru => "ru",
            Lang::Ar => "ar",
        }
    }

    /// Its own name.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Es => "Español",
            Lang::Pt => "Português",
            Lang::Ru => "Русский",
            Lang::Ar => "العربية",
        }
    }

    /// `rtl` for Arabic, else `ltr`.
    pub fn dir(self) -> &'static str {
        if self == Lang::Ar {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The language of `code` (`fr`, `fr-BE`, `FR`), if it is one of ours.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best of ours for an `Accept-Language` header; English when none fits.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for (i, part) in accept_language.split(',').take(32).enumerate() {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or_default();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            if let Some(lang) = Lang::from_code(tag) {
                // Higher q first; among equal q the earlier entry.
                let score = (q.clamp(0.0, 1.0) * 1000.0) as u16 * 64 + (63 - i.min(63) as u16);
                if best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, lang));
                }
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("en.ftl"),
            Lang::Fr => include_str!("fr.ftl"),
            Lang::Es => include_str!("es.ftl"),
            Lang::Pt => include_str!("pt.ftl"),
            Lang::Ru => include_str!("ru.ftl"),
            Lang::Ar => include_str!("ar.ftl"),
        }
    }
}

/// All translations, parsed once.
pub struct Catalog {
    bundles: HashMap<Lang, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("languages", &self.bundles.len())
            .finish()
    }
}

/// A translation file did not parse (a build defect, caught by the tests).
#[derive(Debug, thiserror::Error)]
#[error("translations for {lang}: {message}")]
pub struct CatalogError {
    lang: &'static str,
    message: String,
}

impl Catalog {
    /// Parse every language.
    pub fn load() -> Result<Self, CatalogError> {
        let mut bundles = HashMap::new();
        for lang in Lang::ALL {
            let err = |message: String| CatalogError {
                lang: lang.code(),
                message,
            };
            let res = FluentResource::try_new(lang.source().to_owned())
                .map_err(|(_, errs)| err(format!("{errs:?}")))?;
            let id: LanguageIdentifier = lang.code().parse().map_err(|e| err(format!("{e:?}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Our pages set `dir` on the elements; the isolation marks Fluent would put
            // around each placeable would show up in copied text and in searches.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(res)
                .map_err(|errs| err(format!("{errs:?}")))?;
            bundles.insert(lang, bundle);
        }
        Ok(Self { bundles })
    }

    /// The message `key` in `lang` with `args`; English where `lang` lacks it, the key
    /// itself where English does too (the tests make sure neither happens).
    pub fn text(&self, lang: Lang, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        for l in [lang, Lang::En] {
            let Some(bundle) = self.bundles.get(&l) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = vec![];
                let s = bundle.format_pattern(pattern, args, &mut errors);
                return s.into_owned();
            }
        }
        key.to_owned()
    }

    /// Every message key of `lang`.
    pub fn keys(lang: Lang) -> Vec<String> {
        let Ok(res) = FluentResource::try_new(lang.source().to_owned()) else {
            return vec![];
        };
        res.entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }
}

/// Translating for one request: a language and the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Tr<'a> {
    /// The language.
    pub lang: Lang,
    catalog: &'a Catalog,
}

impl<'a> Tr<'a> {
    /// For `lang`.
    pub fn new(catalog: &'a Catalog, lang: Lang) -> Self {
        Self { lang, catalog }
    }

    /// A message without arguments.
    pub fn t(&self, key: &str) -> String {
        self.catalog.text(self.lang, key, None)
    }

    /// A message with arguments.
    pub fn ta(&self, key: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, v.clone());
        }
        self.catalog.text(self.lang, key, Some(&fa))
    }

    /// The label of a coded value: `<list>-<value>`, or the value itself where the list
    /// has no label for it.
    pub fn code(&self, list: &str, value: &str) -> String {
        let key = format!("{list}-{value}");
        let s = self.catalog.text(self.lang, &key, None);
        if s == key {
            value.to_owned()
        } else {
            s
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_language_has_every_key_and_no_other() {
        let en: BTreeSet<String> = Catalog::keys(Lang::En).into_iter().collect();
        assert!(en.len() > 100, "only {} English keys", en.len());
        let mut problems = vec![];
        for lang in Lang::ALL {
            let keys: BTreeSet<String> = Catalog::keys(lang).into_iter().collect();
            for k in en.difference(&keys) {
                problems.push(format!("{}: missing {k}", lang.code()));
            }
            for k in keys.difference(&en) {
                problems.push(format!("{}: extra {k} (not in en.ftl)", lang.code()));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_file_parses_and_formats_without_errors() {
        let catalog = Catalog::load().unwrap();
        for lang in Lang::ALL {
            let bundle = &catalog.bundles[&lang];
            for key in Catalog::keys(lang) {
                let msg = bundle.get_message(&key).unwrap();
                let pattern = msg.value().unwrap();
                let mut args = FluentArgs::new();
                for name in [
                    "count", "name", "field", "expected", "max", "n", "node", "size", "when",
                    "sender", "total", "shown", "kind", "detail",
                ] {
                    args.set(name, FluentValue::from(3));
                }
                let mut errors = vec![];
                let out = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{}: {key}: {errors:?}", lang.code());
                assert!(!out.trim().is_empty(), "{}: {key} is empty", lang.code());
            }
        }
    }

    #[test]
    fn accept_language_is_negotiated() {
        assert_eq!(Lang::negotiate("fr-BE,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(Lang::negotiate("de-DE,de;q=0.9,ar;q=0.5"), Lang::Ar);
        assert_eq!(Lang::negotiate("de"), Lang::En);
        assert_eq!(Lang::negotiate(""), Lang::En);
        assert_eq!(Lang::negotiate("en;q=0.5, ru"), Lang::Ru);
        assert_eq!(Lang::negotiate("pt-BR;q=0"), Lang::En);
        assert_eq!(Lang::Ar.dir(), "rtl");
        assert_eq!(Lang::from_code("ES"), Some(Lang::Es));
    }

    #[test]
    fn arguments_are_formatted() {
        let catalog = Catalog::load().unwrap();
        let tr = Tr::new(&catalog, Lang::En);
        let s = tr.ta("inbox-more", &[("count", FluentValue::from(42))]);
        assert!(s.contains("42"), "{s}");
        assert_eq!(tr.code("kind", "alert"), "Alert");
        assert_eq!(tr.code("kind", "no-such"), "no-such");
    }
}
