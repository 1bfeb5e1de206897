//! CSV downloads for leaders' spreadsheets: UTF-8 with a byte-order mark, so that Excel opens
//! Vietnamese text correctly, and CRLF line ends.

use crate::problem::Problem;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A CSV file built row by row.
pub struct CsvFile {
    name: String,
    writer: csv::Writer<Vec<u8>>,
}

impl CsvFile {
    /// A file to be downloaded as `name`, with its header row.
    pub fn new(name: &str, header: &[&str]) -> Result<CsvFile, Problem> {
        let mut buffer = Vec::with_capacity(64 * 1024);
        buffer.extend_from_slice("\u{FEFF}".as_bytes());
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(buffer);
        writer.write_record(header).map_err(Problem::internal)?;
        Ok(CsvFile {
            name: name.to_owned(),
            writer,
        })
    }

    pub fn row<I, F>(&mut self, fields: I) -> Result<(), Problem>
    where
        I: IntoIterator<Item = F>,
        F: AsRef<[u8]>,
    {
        self.writer.write_record(fields).map_err(Problem::internal)
    }

    pub fn into_response(self) -> Result<Response, Problem> {
        let bytes = self
            .writer
            .into_inner()
            .map_err(|e| Problem::internal(anyhow::anyhow!("{e}")))?;
        let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", self.name))
            .map_err(Problem::internal)?;
        Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response())
    }
}

/// An optional number as a cell: empty when unknown, at most three decimals.
pub fn number(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| {
        format!("{}", (v * 1000.0).round() / 1000.0)
    })
}
