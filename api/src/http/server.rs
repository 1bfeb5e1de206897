//! The HTTP/1 server, with the limits a service on the internet needs and `axum::serve` does
//! not set: how long a client may take to send a request's headers (which also closes a
//! kept-alive connection left idle that long), how slowly it may send a body, how many headers
//! it may send, and how many connections are open at once. Requests in flight finish when the
//! service stops, within its grace.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// The limits of the server (each a setting; see the README).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's headers, and the longest a kept-alive connection stays idle.
    pub header_timeout: Duration,
    /// A body must arrive at this rate at least, once `body_grace` has passed.
    pub body_min_bytes_per_second: u64,
    pub body_grace: Duration,
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// Headers hyper itself reads at most (the service answers with a problem from far fewer).
    pub max_headers: usize,
}

/// Why a body was cut off.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
pub struct TooSlow;

/// A request body that must keep up a minimum rate: a client trickling a byte now and then
/// holds a connection and a buffer for as long as it likes otherwise.
struct MinRate {
    body: Incoming,
    started: Instant,
    received: u64,
    limits: Limits,
    /// Wakes the body when the rate would fall under the minimum if nothing more came.
    deadline: Pin<Box<Sleep>>,
}

impl MinRate {
    fn new(body: Incoming, limits: Limits) -> MinRate {
        let started = Instant::now();
        MinRate {
            body,
            started,
            received: 0,
            limits,
            deadline: Box::pin(tokio::time::sleep_until(started + limits.body_grace)),
        }
    }

    /// The last instant the body may reach its next byte at and stay above the minimum rate.
    fn next_deadline(&self) -> Instant {
        let allowed = Duration::from_secs_f64(
            self.received as f64 / self.limits.body_min_bytes_per_second.max(1) as f64,
        );
        self.started + self.limits.body_grace.max(allowed)
    }
}

impl HttpBody for MinRate {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    let next = this.next_deadline();
                    this.deadline.as_mut().reset(next);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other.map(|r| r.map_err(Into::into))),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(TooSlow)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection as hyper sees it, with one change: the few answers hyper writes by itself,
/// without a body, when it cannot read a request at all (a path over 64 KiB: 414; more headers
/// than it reads: 431; a request that is not HTTP: 400) are written as the service's problems
/// instead, like every other error. Nothing else written is touched.
struct ProblemAnswers<T> {
    inner: T,
    /// The problem written in place of hyper's answer: its bytes, how many are written, and the
    /// length of hyper's answer, reported written once the problem is.
    replacing: Option<(Vec<u8>, usize, usize)>,
}

/// The problem written in place of hyper's bare answer of `status`.
fn bare_answer_problem(head: &[u8]) -> Option<Vec<u8>> {
    let head = std::str::from_utf8(head).ok()?;
    let (status, vi, en) = match head.get(..13)? {
        "HTTP/1.1 414 " => (
            "414 URI Too Long",
            "Địa chỉ yêu cầu quá dài.",
            "The request address is too long.",
        ),
        "HTTP/1.1 431 " => (
            "431 Request Header Fields Too Large",
            "Tiêu đề yêu cầu quá lớn hoặc quá nhiều.",
            "The request headers are too large or too many.",
        ),
        "HTTP/1.1 400 " => (
            "400 Bad Request",
            "Không đọc được yêu cầu HTTP.",
            "The HTTP request could not be read.",
        ),
        _ => return None,
    };
    if !head
        .to_ascii_lowercase()
        .contains("\r\ncontent-length: 0\r\n")
    {
        return None;
    }
    let kind = match &status[..3] {
        "414" => "uri-too-long",
        "431" => "headers-too-large",
        _ => "malformed-body",
    };
    // No request was read: no language to choose, so both are given.
    let body = serde_json::json!({
        "type": format!("urn:sos-khu-pho:problem:{kind}"),
        "title": status[4..].to_owned(),
        "status": status[..3].parse::<u16>().unwrap_or(400),
        "detail": format!("{vi} / {en}"),
    })
    .to_string();
    Some(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<T: hyper::rt::Read + Unpin> hyper::rt::Read for ProblemAnswers<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: hyper::rt::Write + Unpin> hyper::rt::Write for ProblemAnswers<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none()
            && let Some(problem) = bare_answer_problem(buf)
        {
            this.replacing = Some((problem, 0, buf.len()));
        }
        let Some((problem, written, claimed)) = &mut this.replacing else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        while *written < problem.len() {
            match Pin::new(&mut this.inner).poll_write(cx, &problem[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(0)),
                Poll::Ready(Ok(n)) => *written += n,
                other => return other,
            }
        }
        let claimed = *claimed;
        this.replacing = None;
        Poll::Ready(Ok(claimed))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    /// One buffer per write: hyper's whole answer arrives in one call.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight
/// finish, at most `grace`.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_headers(limits.max_headers);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.expect("never closed"),
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, a connection reset before it was taken…:
                    // nothing to do but wait a moment and go on.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(|body| Body::new(MinRate::new(body, limits)));
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            router.clone().oneshot(request)
        });
        let _ = stream.set_nodelay(true);
        let io = ProblemAnswers {
            inner: TokioIo::new(stream),
            replacing: None,
        };
        let connection = http.serve_connection(io, service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {grace:?}; stopping anyway");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bare_answers_become_problems() {
        let bare = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Sat, 05 Dec 2026 10:00:00 GMT\r\n\r\n";
        let problem = String::from_utf8(bare_answer_problem(bare).unwrap()).unwrap();
        assert!(
            problem
                .starts_with("HTTP/1.1 414 URI Too Long\r\ncontent-type: application/problem+json")
        );
        let body: serde_json::Value =
            serde_json::from_str(problem.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["status"], 414);
        assert_eq!(body["type"], "urn:sos-khu-pho:problem:uri-too-long");
        // The service's own answers have bodies, and others are not touched.
        assert!(bare_answer_problem(b"HTTP/1.1 414 URI Too Long\r\ncontent-type: application/problem+json\r\ncontent-length: 120\r\n\r\n{").is_none());
        assert!(bare_answer_problem(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(bare_answer_problem(b"{\"items\": []}").is_none());
    }
}
