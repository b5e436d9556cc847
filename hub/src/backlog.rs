//! `cordon_backlog{node}` for the nodes without delivery lanes. A subscribed node's
//! lanes keep its gauge (`delivery.rs`); for every other node the hub knows (offline, or
//! connected but not subscribed), it is computed here every [`REFRESH`] from the store:
//! the messages on the channels the policy lets it read, in every lane, stored after its
//! acknowledged cursors. It is what an operator watches for "who has not picked up".

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use cordon_common::ids::{ChannelName, NodeId};
use tracing::warn;

use crate::metrics::NodeLabel;
use crate::state::{now_ms, HubState};
use crate::store::{Lane, Store};

/// How often the backlog of nodes without delivery lanes is recomputed.
pub const REFRESH: Duration = Duration::from_secs(10);

/// Stored after `node`'s cursors on `channels`, in every lane.
fn backlog(store: &dyn Store, node: &NodeId, channels: &[ChannelName]) -> Result<u64, String> {
    let mut total = 0u64;
    for c in channels {
        for lane in Lane::ALL {
            let head = store.log_head(c, lane).map_err(|e| e.to_string())?;
            let cursor = store.cursor(node, c, lane).map_err(|e| e.to_string())?;
            total += head.saturating_sub(cursor);
        }
    }
    Ok(total)
}

/// Recompute the gauge of every known node without delivery lanes now. Returns
/// (node, backlog) for each.
pub async fn refresh_now(state: &Arc<HubState>) -> Vec<(NodeId, u64)> {
    let with_lanes: HashSet<NodeId> = state.sessions.subscribed_nodes();
    let policy = state.policy();
    let now = now_ms();
    let work: Vec<(NodeId, Vec<ChannelName>)> = state
        .directory
        .subjects()
        .into_iter()
        .filter(|s| !with_lanes.contains(&s.node_id))
        .map(|s| {
            let mut channels = vec![s.node_id.direct_channel()];
            channels.extend(
                policy
                    .channels()
                    .filter(|c| policy.may_read(&s, c, now).is_ok())
                    .cloned(),
            );
            (s.node_id, channels)
        })
        .collect();
    let st = state.clone();
    let counted = tokio::task::spawn_blocking(move || {
        work.into_iter()
            .filter_map(
                |(node, channels)| match backlog(st.store.as_ref(), &node, &channels) {
                    Ok(n) => Some((node, n)),
                    Err(e) => {
                        warn!(%node, error = %e, "cannot count a node's backlog");
                        None
                    }
                },
            )
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    for (node, n) in &counted {
        let label = NodeLabel {
            node: node.to_string(),
        };
        state
            .metrics
            .backlog
            .get_or_create(&label)
            .set(i64::try_from(*n).unwrap_or(i64::MAX));
    }
    counted
}

/// Refresh periodically.
pub async fn run(state: Arc<HubState>) {
    let mut tick = tokio::time::interval(REFRESH);
    loop {
        tick.tick().await;
        refresh_now(&state).await;
    }
}
