//! Configuration as code, read side: the stored configuration as a file
//! would state it (`GET /admin/v1/export`), secrets left out.

use super::{ChannelDeps, accounts_with_pages};
use crate::ids::{AccountId, AppId, PageId};
use crate::problem::Problem;
use crate::workstreams::Workstream;
use serde::Serialize;

/// The configuration as a file would state it, secrets left out.
#[derive(Debug, Serialize)]
pub struct Exported {
    pub public_url: String,
    pub accounts: Vec<ExportedAccount>,
    pub workstreams: Vec<Workstream>,
    pub queues: Vec<crate::routing::model::Queue>,
    /// Configuration only (presence and load belong to the agents).
    pub agents: Vec<crate::routing::model::Agent>,
    pub rulesets: Vec<crate::routing::model::Ruleset>,
    pub canned_responses: Vec<crate::canned::CannedResponse>,
}

#[derive(Debug, Serialize)]
pub struct ExportedAccount {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    pub pages: Vec<ExportedPage>,
}

#[derive(Debug, Serialize)]
pub struct ExportedPage {
    pub page_id: PageId,
    pub name: String,
    /// A token is stored (the file then names it as an `${ENV}` placeholder).
    pub has_token: bool,
}

pub async fn export(deps: &ChannelDeps) -> Result<Exported, Problem> {
    let mut accounts = Vec::new();
    for (a, pages) in accounts_with_pages(deps.accounts.as_ref()).await? {
        let pages = pages
            .into_iter()
            .map(|p| ExportedPage {
                has_token: p.access_token_ref.is_some(),
                page_id: p.page_id,
                name: p.name,
            })
            .collect();
        accounts.push(ExportedAccount {
            id: a.id,
            name: a.name,
            app_id: a.app_id,
            pages,
        });
    }
    Ok(Exported {
        public_url: deps.public_url.clone(),
        accounts,
        workstreams: deps.workstreams.list_workstreams().await?,
        queues: deps.routing_config.list_queues().await?,
        agents: deps
            .routing_config
            .list_agents()
            .await?
            .into_iter()
            .map(|a| a.agent)
            .collect(),
        rulesets: deps.routing_config.list_rulesets(None).await?,
        canned_responses: deps.routing_config.list_canned(None).await?,
    })
}
