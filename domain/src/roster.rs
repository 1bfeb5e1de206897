//! A ward's list of people as a spreadsheet saves it: what an administrator uploads to make many
//! accounts at once. Excel writes "CSV UTF-8" with a byte-order mark, plain "CSV" in the
//! computer's code page (Windows-1258 on Vietnamese Windows, whose accents are combining
//! marks), and "Unicode Text" as UTF-16 with tabs; the columns may be named in Vietnamese.
//! This module turns any of them into rows of named cells, or says why it cannot.

use crate::taxonomy::Role;
use unicode_normalization::UnicodeNormalization;

/// The most rows one file may hold: a ward has dozens of heads, not thousands.
pub const MAX_ROWS: usize = 2000;

/// The columns a roster may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Username,
    DisplayName,
    Role,
    Neighborhood,
    Department,
    Phone,
    Email,
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::Username => "username",
            Column::DisplayName => "display_name",
            Column::Role => "role",
            Column::Neighborhood => "neighborhood",
            Column::Department => "department",
            Column::Phone => "phone",
            Column::Email => "email",
        }
    }

    /// The column a header names, in English or Vietnamese, with or without accents.
    fn of_header(header: &str) -> Option<Column> {
        let folded = crate::text::fold(header);
        let column = match folded.as_str() {
            "username" | "user name" | "ten dang nhap" | "tai khoan" | "login" => Column::Username,
            "display name" | "name" | "ho ten" | "ho va ten" | "ten" | "ten hien thi" => {
                Column::DisplayName
            }
            "role" | "vai tro" | "chuc vu" | "chuc danh" => Column::Role,
            "neighborhood" | "khu pho" | "to dan pho" | "ap" => Column::Neighborhood,
            "department" | "don vi" | "phong ban" | "bo phan" => Column::Department,
            "phone" | "so dien thoai" | "dien thoai" | "sdt" | "dt" => Column::Phone,
            "email" | "e mail" | "thu dien tu" => Column::Email,
            _ => return None,
        };
        Some(column)
    }
}

/// A role as people write it in a roster: its code, or its Vietnamese name.
pub fn role(cell: &str) -> Option<Role> {
    if let Ok(role) = cell.trim().parse() {
        return Some(role);
    }
    let role = match crate::text::fold(cell).as_str() {
        "truong khu pho" | "to truong" | "truong ap" | "truong to dan pho" => {
            Role::NeighborhoodHead
        }
        "can bo" | "can bo don vi" | "nhan vien" | "chuyen vien" => Role::DepartmentStaff,
        "lanh dao phuong" | "lanh dao xa" | "lanh dao" | "chu tich" | "pho chu tich" => {
            Role::WardLeader
        }
        "quan tri" | "quan tri vien" => Role::Admin,
        _ => return None,
    };
    Some(role)
}

/// One row of people: its line in the file and its cells by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line in the file (the header is line 1), as the administrator sees it in Excel.
    pub line: usize,
    pub cells: Vec<(Column, String)>,
}

impl Row {
    /// A cell's text, none when empty.
    pub fn get(&self, column: Column) -> Option<&str> {
        self.cells
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, text)| text.as_str())
            .filter(|text| !text.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterProblem {
    /// Not text in any encoding Excel writes.
    Unreadable,
    /// A column the service does not know (its header, as written).
    UnknownColumn(String),
    /// A column needed is missing.
    MissingColumn(Column),
    /// Two columns of one meaning.
    DuplicateColumn(Column),
    TooManyRows,
    /// A line the CSV reader could not read (quotes left open).
    BadLine(usize),
}

/// The text of a file as Excel may have saved it.
pub fn decode(bytes: &[u8]) -> Result<String, RosterProblem> {
    let (text, had_errors) = match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, bom_length)) => {
            let (text, errors) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
            (text.into_owned(), errors)
        }
        None => match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_owned(), false),
            // Not UTF-8: the code page of Vietnamese Windows.
            Err(_) => {
                let (text, _, errors) = encoding_rs::WINDOWS_1258.decode(bytes);
                (text.into_owned(), errors)
            }
        },
    };
    if had_errors || text.contains('\0') {
        return Err(RosterProblem::Unreadable);
    }
    // Windows-1258 writes accents as combining marks; what people type elsewhere is composed.
    Ok(text.nfc().collect())
}

/// The delimiter of the header line: Excel's "Unicode Text" uses tabs, some locales `;`.
fn delimiter(header_line: &str) -> u8 {
    let count = |c: char| header_line.matches(c).count();
    [('\t', b'\t'), (';', b';'), (',', b',')]
        .into_iter()
        .max_by_key(|(c, _)| count(*c))
        .filter(|(c, _)| count(*c) > 0)
        .map_or(b',', |(_, byte)| byte)
}

/// The rows of a roster, with the columns it must have. Empty lines are skipped.
pub fn read(bytes: &[u8], required: &[Column]) -> Result<Vec<Row>, RosterProblem> {
    let text = decode(bytes)?;
    let header_line = text.lines().next().unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let headers = match records.next() {
        Some(Ok(headers)) => headers,
        _ => return Err(RosterProblem::MissingColumn(required[0])),
    };
    let mut columns = Vec::new();
    for header in headers.iter() {
        let column = Column::of_header(header)
            .ok_or_else(|| RosterProblem::UnknownColumn(header.trim().to_owned()))?;
        if columns.contains(&column) {
            return Err(RosterProblem::DuplicateColumn(column));
        }
        columns.push(column);
    }
    if let Some(missing) = required.iter().find(|c| !columns.contains(c)) {
        return Err(RosterProblem::MissingColumn(*missing));
    }
    let mut rows = Vec::new();
    for (index, record) in records.enumerate() {
        let line = index + 2;
        let record = record.map_err(|_| RosterProblem::BadLine(line))?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(RosterProblem::TooManyRows);
        }
        let cells = columns
            .iter()
            .zip(record.iter())
            .map(|(column, cell)| (*column, cell.trim().to_owned()))
            .collect();
        rows.push(Row { line, cells });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIRED: [Column; 3] = [Column::Username, Column::DisplayName, Column::Role];

    fn utf16le_with_bom(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn every_way_excel_saves_a_sheet_reads_the_same() {
        let sheet = "Tên đăng nhập,Họ và tên,Vai trò,Khu phố,Số điện thoại\r\n\
                     tnp.kp6,Nguyễn Thị Hồng,Trưởng khu phố,kp6,0912 345 678\r\n\r\n";
        let utf8_bom = [b"\xEF\xBB\xBF".as_slice(), sheet.as_bytes()].concat();
        let tabs = utf16le_with_bom(&sheet.replace(',', "\t"));
        // Windows-1258 as Excel writes it: ê, ô, ơ, ư are letters of their own, tones are
        // combining marks after them (0xDE tilde, 0xF2 dot below, 0xCC grave, 0xD2 hook
        // above, 0xEC acute).
        let cp1258 = [
            b"Ten dang nhap,Ho va ten,Vai tro,Khu pho,So dien thoai\r\n".as_slice(),
            b"tnp.kp6,Nguy\xEA\xDEn Thi\xF2 H\xF4\xCCng,Tr\xFD\xF5\xD2ng khu ph\xF4\xEC,kp6,0912 345 678\r\n",
        ]
        .concat();
        for (name, bytes) in [
            ("utf-8", sheet.as_bytes().to_vec()),
            ("utf-8 with BOM", utf8_bom),
            ("utf-16 with tabs", tabs),
            ("windows-1258", cp1258),
        ] {
            let rows = read(&bytes, &REQUIRED).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(rows.len(), 1, "{name}");
            assert_eq!(rows[0].line, 2, "{name}");
            assert_eq!(
                rows[0].get(Column::DisplayName),
                Some("Nguyễn Thị Hồng"),
                "{name}"
            );
            assert_eq!(
                rows[0].get(Column::Role).and_then(role),
                Some(Role::NeighborhoodHead)
            );
            assert_eq!(rows[0].get(Column::Phone), Some("0912 345 678"), "{name}");
            assert_eq!(rows[0].get(Column::Email), None, "{name}");
        }
    }

    #[test]
    fn headers_in_english_or_without_accents_and_semicolons_read_too() {
        let sheet = "username;display_name;role;department\nx.infra;Le Van Ba;can bo;economy_infrastructure\n";
        let rows = read(sheet.as_bytes(), &REQUIRED).unwrap();
        assert_eq!(
            rows[0].get(Column::Department),
            Some("economy_infrastructure")
        );
        assert_eq!(role("department_staff"), Some(Role::DepartmentStaff));
        assert_eq!(role("Lãnh đạo phường"), Some(Role::WardLeader));
        assert_eq!(role("giám đốc"), None);
    }

    #[test]
    fn a_sheet_that_cannot_be_read_says_why() {
        assert_eq!(
            read(b"username,ho ten,luong\n", &REQUIRED),
            Err(RosterProblem::UnknownColumn("luong".to_owned()))
        );
        assert_eq!(
            read(b"username,ho ten\n", &REQUIRED),
            Err(RosterProblem::MissingColumn(Column::Role))
        );
        assert_eq!(
            read(b"username,ten dang nhap,ho ten,role\n", &REQUIRED),
            Err(RosterProblem::DuplicateColumn(Column::Username))
        );
        assert_eq!(
            read(b"username,\0\0", &REQUIRED),
            Err(RosterProblem::Unreadable)
        );
        let many: String = std::iter::once("username,ho ten,role\n".to_owned())
            .chain((0..=MAX_ROWS).map(|n| format!("u{n},Ten,admin\n")))
            .collect();
        assert_eq!(
            read(many.as_bytes(), &REQUIRED),
            Err(RosterProblem::TooManyRows)
        );
    }
}
