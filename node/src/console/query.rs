//! The console's inbox queries over [`Service::inbox`]: the inbox form turned into an
//! [`InboxQuery`], and whole listings (oldest first) for the overview and the tracking
//! timeline.

use super::forms::parse_datetime;
use super::pages::inbox::{Found, Query};
use crate::inbox::{InboxFilter, InboxPosition, InboxQuery, TimeRange};
use crate::service::{InboxItem, Service, ServiceError};

fn millis(rfc3339: Option<String>) -> Option<u64> {
    rfc3339
        .and_then(|s| s.parse::<cordon_common::msg::Timestamp>().ok())
        .map(|t| t.as_millis())
}

/// The store's filter for the inbox form. One search box: text in titles and bodies,
/// which includes container numbers, vessels and the sender's name.
pub fn filter(q: &Query) -> InboxFilter {
    let day = |d: &Option<String>| millis(d.as_deref().and_then(parse_datetime));
    InboxFilter {
        operation: q.operation.as_deref().and_then(|o| o.parse().ok()),
        channel: q.channel.as_deref().and_then(|c| c.parse().ok()),
        kind: q.kind.as_deref().and_then(|k| k.parse().ok()),
        priority: q.priority.as_deref().and_then(|p| p.parse().ok()),
        unread: q.unread,
        unacknowledged: q.unacked,
        text: q.text.clone(),
        received: TimeRange {
            from: day(&q.from),
            // The "to" day is included: up to the start of the next one.
            to: day(&q.to).map(|t| t + 86_400_000),
        },
        ..InboxFilter::default()
    }
}

/// A page of the inbox for `q`, newest first, the unacknowledged flash messages apart.
pub async fn inbox(service: &Service, q: &Query, page: usize) -> Result<Found, ServiceError> {
    let query = InboxQuery {
        filter: filter(q),
        position: InboxPosition::Newest { before: q.before },
        limit: page,
        flash_first: true,
        count: true,
    };
    let p = service.inbox(query, None).await?;
    let total = p
        .remaining
        .map(|r| r + p.items.len() as u64 + p.flash.len() as u64);
    Ok(Found {
        flash: p.flash,
        items: p.items,
        next_before: if p.more { p.next_before } else { None },
        total,
    })
}

/// Every message matching `filter`, oldest first, at most `max`.
pub async fn all(
    service: &Service,
    filter: InboxFilter,
    max: usize,
) -> Result<Vec<InboxItem>, ServiceError> {
    let mut out = Vec::new();
    let mut after = 0;
    while out.len() < max {
        let query = InboxQuery {
            filter: filter.clone(),
            position: InboxPosition::After(after),
            limit: 1000,
            ..InboxQuery::default()
        };
        let p = service.inbox(query, None).await?;
        if p.items.is_empty() {
            break;
        }
        after = p.next_after;
        out.extend(p.items);
    }
    out.truncate(max);
    Ok(out)
}
