//! The console's inbox query over [`Service::inbox`]: the one place that turns the
//! inbox form into a store query.

use std::collections::HashSet;

use cordon_common::msg::Priority;

use super::pages::inbox::{Found, Query};
use crate::service::{InboxItem, Service, ServiceError};
use crate::store::InboxFilter;

fn matches(q: &Query, m: &InboxItem) -> bool {
    let text = q.text.as_deref().map(str::to_lowercase);
    q.operation
        .as_deref()
        .is_none_or(|o| m.operation.as_str() == o)
        && q.priority
            .as_deref()
            .is_none_or(|p| m.priority.as_str() == p)
        && (!q.unacked || !m.acknowledged)
        && text.as_deref().is_none_or(|t| {
            m.title.to_lowercase().contains(t) || m.sender.as_str().to_lowercase().contains(t)
        })
}

/// A page of the inbox for `q`, newest first, and the unacknowledged flash messages.
pub async fn inbox(service: &Service, q: &Query, page: usize) -> Result<Found, ServiceError> {
    let filter = InboxFilter {
        channel: q.channel.as_deref().and_then(|c| c.parse().ok()),
        kind: q.kind.as_deref().and_then(|k| k.parse().ok()),
        unread: q.unread,
        after: 0,
    };
    let all = service.inbox(filter, usize::MAX, None).await?.items;
    let mut matching: Vec<InboxItem> = all
        .into_iter()
        .rev()
        .filter(|m| matches(q, m))
        .filter(|m| q.before.is_none_or(|b| m.seq < b))
        .collect();
    let total = matching.len() as u64;
    let flash: Vec<InboxItem> = if q.before.is_none() {
        matching
            .iter()
            .filter(|m| m.priority == Priority::Flash && !m.acknowledged)
            .cloned()
            .collect()
    } else {
        vec![]
    };
    let shown: HashSet<_> = flash.iter().map(|m| m.id).collect();
    matching.retain(|m| !shown.contains(&m.id));
    let next_before = (matching.len() > page).then(|| matching[page - 1].seq);
    matching.truncate(page);
    Ok(Found {
        flash,
        items: matching,
        next_before,
        total: Some(total),
    })
}
