//! Sending e-mail: SMTP from `SMTP_URL` (`smtp://`, `smtp://…?tls=required` for STARTTLS,
//! `smtps://`, credentials in the URL) or, in the embedded mode, a folder of `.eml` files. The
//! messages themselves are written by `wording::mail`.

use crate::config::Settings;
use crate::wording::mail::OutgoingMail;
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart, header};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
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
        let message =
            build(from, mail, key).map_err(|e| format!("cannot build the message: {e}"))?;
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

fn build(from: &str, mail: &OutgoingMail, key: Uuid) -> anyhow::Result<Message> {
    let to = Mailbox::new(Some(mail.to_name.clone()), mail.to.parse()?);
    Ok(Message::builder()
        .from(from.parse()?)
        .to(to)
        .subject(&mail.subject)
        .message_id(Some(format!("<{key}@sos-khu-pho>")))
        .header(header::MIME_VERSION_1_0)
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))?)
}
