//! Sending e-mail: SMTP from `SMTP_URL` (`smtp://`, `smtp://…?tls=required` for STARTTLS,
//! `smtps://`, credentials in the URL) or, in the embedded mode, a folder of `.eml` files. The
//! messages themselves are written by `wording::mail`.

use crate::config::Settings;
use crate::wording::mail::OutgoingMail;
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart, header};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sos_domain::text::one_line;
use uuid::Uuid;

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        match &settings.smtp_url {
            Some(url) => Ok(Mailer::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("SMTP_URL is not a valid smtp://, smtps:// URL")?
                    .build(),
            )),
            None => {
                let folder = settings.data_dir.join("mail");
                std::fs::create_dir_all(&folder)
                    .with_context(|| format!("cannot create {}", folder.display()))?;
                Ok(Mailer::Folder(AsyncFileTransport::new(folder)))
            }
        }
    }

    /// Sends a message whose `Message-ID` is made from `key`: every attempt of one delivery
    /// carries the same, so a mail system can drop a repeat.
    pub async fn send(&self, from: &str, mail: &OutgoingMail, key: Uuid) -> Result<(), String> {
        // The mail library panics on some inputs it should refuse: a message that cannot be
        // built is this delivery's failure, never the worker's end.
        let message = std::panic::catch_unwind(|| build(from, mail, key))
            .map_err(|_| "cannot build the message: the mail library refused it".to_owned())?
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match self {
            Mailer::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(drop)
                .map_err(|e| format!("SMTP: {e}")),
            Mailer::Folder(folder) => folder
                .send(message)
                .await
                .map(drop)
                .map_err(|e| format!("mail folder: {e}")),
        }
    }
}

/// The message, its one-line fields kept to one line (a name with a line break would start a
/// header of its own).
fn build(from: &str, mail: &OutgoingMail, key: Uuid) -> anyhow::Result<Message> {
    let to = Mailbox::new(Some(one_line(&mail.to_name)), mail.to.parse()?);
    Ok(Message::builder()
        .from(from.parse()?)
        .to(to)
        .subject(one_line(&mail.subject))
        .message_id(Some(format!("<{key}@sos-khu-pho>")))
        .header(header::MIME_VERSION_1_0)
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))?)
}
