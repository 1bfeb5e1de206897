//! CSV downloads for leaders' spreadsheets: UTF-8 with a byte-order mark, so that Excel opens
//! Vietnamese text correctly, and CRLF line ends. A cell that a spreadsheet would run as a
//! formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a
//! number) is written with a leading apostrophe, as OWASP recommends against CSV injection:
//! the text people wrote (descriptions, addresses, names) reaches these files.

use crate::problem::Problem;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

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
        F: AsRef<str>,
    {
        let cells: Vec<String> = fields
            .into_iter()
            .map(|cell| neutralised(cell.as_ref()).into_owned())
            .collect();
        self.writer.write_record(&cells).map_err(Problem::internal)
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

/// The cell as written: text a spreadsheet would take for a formula gets a leading apostrophe,
/// which spreadsheets show as text; numbers (`-2.5`) stay numbers.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && cell.trim().parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// An optional number as a cell: empty when unknown, at most three decimals.
pub fn number(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| {
        format!("{}", (v * 1000.0).round() / 1000.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_made_text() {
        for formula in [
            "=1+2",
            "+SUM(A1)",
            "-2+3",
            "@cmd",
            "\t=1",
            "\r=1",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(neutralised(formula), format!("'{formula}"), "{formula:?}");
        }
        for plain in ["Đèn đường hư", "-2.5", "+84", "12", "", "a=b", "1-2"] {
            assert_eq!(neutralised(plain), plain, "{plain:?}");
        }
    }
}
