//! Messages by the first hex digits of their id, for officers who type a short id.

use std::ops::RangeInclusive;

use cordon_common::ids::MessageId;
use cordon_common::msg::MessageKind;
use redb::ReadableDatabase;

use super::{dberr, decode, Id, SentRecord, Store, StoreError, INBOX, SENT};

/// A message whose id starts with the digits asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMatch {
    /// Its id.
    pub id: MessageId,
    /// `true` when this node sent it, `false` when it received it.
    pub sent: bool,
}

/// The keys whose hex form starts with `digits` (each 0-15; at most 32 of them).
fn key_range(digits: &[u8]) -> RangeInclusive<Id> {
    let (mut lo, mut hi) = ([0u8; 16], [0xffu8; 16]);
    for (i, d) in digits.iter().take(32).enumerate() {
        let (byte, high) = (i / 2, i % 2 == 0);
        if high {
            lo[byte] = d << 4;
            hi[byte] = (d << 4) | 0x0f;
        } else {
            lo[byte] |= d;
            hi[byte] = (hi[byte] & 0xf0) | d;
        }
    }
    lo..=hi
}

impl Store {
    /// Up to `limit` messages, received or sent (receipts left out), whose id's hex
    /// digits start with `digits` (values 0-15), in id order.
    pub fn ids_with_prefix(&self, digits: &[u8], limit: usize) -> Result<Vec<IdMatch>, StoreError> {
        let tx = self.db.begin_read().map_err(dberr)?;
        let inbox = tx.open_table(INBOX).map_err(dberr)?;
        let sent = tx.open_table(SENT).map_err(dberr)?;
        let mut out = Vec::new();
        for row in inbox.range(key_range(digits)).map_err(dberr)? {
            if out.len() >= limit {
                return Ok(out);
            }
            let (k, _) = row.map_err(dberr)?;
            out.push(IdMatch {
                id: MessageId(uuid::Uuid::from_bytes(k.value())),
                sent: false,
            });
        }
        for row in sent.range(key_range(digits)).map_err(dberr)? {
            if out.len() >= limit {
                break;
            }
            let (k, v) = row.map_err(dberr)?;
            let r: SentRecord = decode("sent", v.value())?;
            if r.kind != MessageKind::Receipt {
                out.push(IdMatch {
                    id: MessageId(uuid::Uuid::from_bytes(k.value())),
                    sent: true,
                });
            }
        }
        out.sort_by_key(|m| m.id);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::tests::{draft, inbox_record};
    use cordon_common::msg::Priority;

    #[test]
    fn ranges_cover_exactly_the_prefix() {
        let r = key_range(&[0x0, 0x1, 0x9]);
        assert_eq!(r.start()[..2], [0x01, 0x90]);
        assert_eq!(r.end()[..2], [0x01, 0x9f]);
        assert_eq!(r.end()[2..], [0xff; 14]);
        let all = key_range(&[]);
        assert_eq!((*all.start(), *all.end()), ([0; 16], [0xff; 16]));
    }

    #[test]
    fn prefixes_find_sent_and_received_messages_but_not_receipts() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("n.redb")).unwrap();
        let sent = draft(MessageKind::Alert, Priority::Routine);
        let receipt = draft(MessageKind::Receipt, Priority::Routine);
        s.put_drafts(&[sent.clone(), receipt.clone()]).unwrap();
        let got = inbox_record(MessageId::new_v7(), "op/cosmo-2/alerts");
        s.commit_received(vec![crate::store::Received::Message {
            record: Box::new(got.clone()),
            receipt: None,
        }])
        .unwrap();
        let digits = |id: MessageId, n: usize| -> Vec<u8> {
            hex::encode(id.as_bytes())
                .bytes()
                .take(n)
                .map(|c| u8::from_str_radix(&char::from(c).to_string(), 16).unwrap())
                .collect()
        };
        let all = s.ids_with_prefix(&[], 10).unwrap();
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(
            s.ids_with_prefix(&digits(sent.id, 32), 10).unwrap(),
            [IdMatch {
                id: sent.id,
                sent: true
            }]
        );
        assert_eq!(
            s.ids_with_prefix(&digits(got.id, 32), 10).unwrap(),
            [IdMatch {
                id: got.id,
                sent: false
            }]
        );
        assert!(s
            .ids_with_prefix(&digits(receipt.id, 32), 10)
            .unwrap()
            .is_empty());
        assert_eq!(s.ids_with_prefix(&[], 1).unwrap().len(), 1, "limit");
    }
}
