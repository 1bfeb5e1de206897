//! `GET /v1/stream` as Server-Sent Events: a head's new inbox entries, or the events of the
//! reports staff and leaders may read (`ReportNews`), as they come; with `Last-Event-ID`, first
//! what came after it (see `services::stream`).

use crate::http::error::current_lang;
use crate::http::views::{self, Notification};
use crate::i18n::Lang;
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::stream::{self, News};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use std::convert::Infallible;
use std::time::Duration;
use uuid::Uuid;

/// Mobile networks drop idle connections: a comment line this often keeps them open.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// What a stream of department staff, leaders and admins carries: an event of a report they
/// may read.
#[derive(Serialize)]
pub struct ReportNews {
    report_id: Uuid,
    ward_id: Uuid,
    event: views::Event,
}

/// One piece of news as an event; inbox entries in `lang`.
fn event(news: News, lang: Lang) -> Event {
    let id = news.id().to_string();
    let event = match news {
        News::Inbox(entry) => Event::default()
            .event(entry.event_type.as_str())
            .json_data(Notification::new(&entry, lang)),
        News::Report {
            event,
            ward_id,
            actor,
        } => Event::default()
            .event(event.event_type.as_str())
            .json_data(ReportNews {
                report_id: event.report_id,
                ward_id,
                event: views::Event::new(&event, actor.as_deref(), lang),
            }),
    };
    event.unwrap_or_default().id(id)
}

pub async fn stream(
    State(services): State<Services>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok());
    let reader = stream::open(&services, &caller, last_seen).await?;
    // The stream is read after this handler returns, outside the request's context: the
    // language is taken now.
    let lang = current_lang();
    let events = futures_util::stream::unfold(reader, stream::Reader::next)
        .map(move |news| Ok(event(news, lang)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)))
}
