//! What makes an account well formed: its username, phone number and password, and where its
//! role needs it attached (a head to a neighborhood, staff to a department). Who may create or
//! change which account is an access rule ([`crate::access::can_manage_account`]).

use crate::taxonomy::Role;

/// Usernames are short handles such as `tnp.kp1` or `nguyen.van.a`.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=64;

/// A password shorter than this is refused whatever its strength; one longer than the maximum
/// is refused before it is estimated or hashed, both of which grow with its length.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 10..=128;

/// The least zxcvbn score accepted (0-4): 3 is "safely unguessable, moderate protection from an
/// offline attack", about 10^10 guesses.
const MIN_PASSWORD_SCORE: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameProblem {
    Length,
    /// Only lower-case ASCII letters, digits and `.`, `_`, `-`, starting with a letter or digit.
    Characters,
}

/// The username as stored (lower case, trimmed), or why it cannot be one.
pub fn username(raw: &str) -> Result<String, UsernameProblem> {
    let name = raw.trim().to_lowercase();
    if !USERNAME_CHARS.contains(&name.chars().count()) {
        return Err(UsernameProblem::Length);
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !starts_well || !name.chars().all(allowed) {
        return Err(UsernameProblem::Characters);
    }
    Ok(name)
}

/// A Vietnamese phone number in international form (`+84912345678`), from the ways people
/// write one: `0912 345 678`, `0912.345.678`, `+84 912 345 678`, `84912345678`. Mobile numbers
/// have nine digits after the country code, landlines ten (`028 3823 4567`). `None` if it is
/// not one.
pub fn phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let international = trimmed.starts_with('+');
    let digits: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .skip(usize::from(international))
        .collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let national = if let Some(rest) = digits
        .strip_prefix("84")
        .filter(|_| !digits.starts_with('0'))
    {
        rest
    } else if international {
        return None;
    } else {
        digits.strip_prefix('0')?
    };
    let well_formed = matches!(national.len(), 9 | 10) && !national.starts_with('0');
    well_formed.then(|| format!("+84{national}"))
}

/// What a search for an account matches: its username, name, phone and e-mail, folded (lower
/// case, without accents, punctuation as spaces), so that `nguyen van` finds `Nguyễn Văn An`
/// and `tnp.kp2` finds `tnp.kp2`. Fold a query with [`search_query`] to match.
pub fn search_text(
    username: &str,
    display_name: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> String {
    let all = [Some(username), Some(display_name), phone, email];
    crate::text::fold(&all.into_iter().flatten().collect::<Vec<_>>().join(" "))
}

/// A search as typed, folded as [`search_text`] is: a phone number in any of the ways people
/// write one finds the number as stored.
pub fn search_query(typed: &str) -> String {
    match phone(typed) {
        Some(international) => crate::text::fold(&international),
        None => crate::text::fold(typed),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    /// Common, or easy to guess from known patterns or the person's own names.
    TooWeak,
}

/// What a guesser knows of a person, as the words they would try: each of `facts` (username,
/// display name, e-mail) whole, without its separators and accents, and cut into its parts.
pub fn personal_words(facts: &[&str]) -> Vec<String> {
    let mut words = Vec::new();
    for fact in facts {
        let folded = crate::text::fold(fact);
        let parts: Vec<&str> = folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| p.len() >= 3)
            .collect();
        words.push(folded.clone());
        words.push(parts.concat());
        words.extend(parts.iter().map(|p| (*p).to_owned()));
    }
    words.sort();
    words.dedup();
    words
}

/// Whether a password may be chosen: long enough, not too long, and hard to guess, also from
/// what is known of the person (`personal`: see [`personal_words`]).
pub fn check_password(password: &str, personal: &[&str]) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < *PASSWORD_CHARS.start() {
        return Err(PasswordProblem::TooShort);
    }
    if length > *PASSWORD_CHARS.end() {
        return Err(PasswordProblem::TooLong);
    }
    let words = personal_words(personal);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let score = u8::from(zxcvbn::zxcvbn(password, &words).score());
    if score < MIN_PASSWORD_SCORE {
        return Err(PasswordProblem::TooWeak);
    }
    Ok(())
}

/// What an account is attached to, as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attachment {
    pub ward: bool,
    pub neighborhood: bool,
    pub department: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentProblem {
    /// The role needs a ward (everyone but city leaders and city administrators).
    WardMissing,
    /// A city leader belongs to no ward.
    WardNotAllowed,
    NeighborhoodMissing,
    /// Only heads belong to a neighborhood.
    NeighborhoodNotAllowed,
    DepartmentMissing,
    /// Only department staff belong to a department.
    DepartmentNotAllowed,
}

/// Whether a role may be attached as asked. An administrator attached to a ward administers
/// that ward; one attached to none, every ward.
pub fn check_attachment(role: Role, to: Attachment) -> Result<(), AttachmentProblem> {
    use AttachmentProblem::*;
    let needs_ward = !matches!(role, Role::CityLeader | Role::Admin);
    match role {
        _ if needs_ward && !to.ward => Err(WardMissing),
        Role::CityLeader if to.ward => Err(WardNotAllowed),
        Role::NeighborhoodHead if !to.neighborhood => Err(NeighborhoodMissing),
        Role::DepartmentStaff if !to.department => Err(DepartmentMissing),
        _ if role != Role::NeighborhoodHead && to.neighborhood => Err(NeighborhoodNotAllowed),
        _ if role != Role::DepartmentStaff && to.department => Err(DepartmentNotAllowed),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_short_lower_case_handles() {
        assert_eq!(username(" TNP.KP6 "), Ok("tnp.kp6".to_owned()));
        assert_eq!(username("nguyen_van-a2"), Ok("nguyen_van-a2".to_owned()));
        assert_eq!(username("ab"), Err(UsernameProblem::Length));
        assert_eq!(username(&"a".repeat(65)), Err(UsernameProblem::Length));
        for bad in [".hidden", "nguyễn", "a b c", "x/../y", "a\u{0}bc"] {
            assert_eq!(username(bad), Err(UsernameProblem::Characters), "{bad:?}");
        }
    }

    #[test]
    fn phone_numbers_are_read_as_people_write_them() {
        for written in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "+84 912 345 678",
            "84912345678",
            "+84912345678",
        ] {
            assert_eq!(phone(written).as_deref(), Some("+84912345678"), "{written}");
        }
        assert_eq!(phone("028 3823 4567").as_deref(), Some("+842838234567"));
        for bad in [
            "",
            "12345",
            "0912-abc-678",
            "+1 650 253 0000",
            "00912345678",
            "091234567890",
        ] {
            assert_eq!(phone(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn searches_find_accounts_as_people_type_them() {
        let text = search_text(
            "tnp.kp2",
            "Trưởng khu phố 2, Phường Tăng Nhơn Phú",
            Some("+84912345678"),
            Some("Tu.Nguyen@Example.com"),
        );
        for typed in [
            "tnp.kp2",
            "truong khu pho",
            "Tăng Nhơn",
            "0912 345 678",
            "tu.nguyen@",
        ] {
            assert!(text.contains(&search_query(typed)), "{typed}");
        }
        assert!(!text.contains(&search_query("kp3")));
    }

    #[test]
    fn short_common_and_personal_passwords_are_refused() {
        assert_eq!(
            check_password("abc123", &[]),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_password(&"x".repeat(129), &[]),
            Err(PasswordProblem::TooLong)
        );
        for weak in ["password123", "1234567890", "qwertyuiop", "matkhau123456"] {
            assert_eq!(
                check_password(weak, &[]),
                Err(PasswordProblem::TooWeak),
                "{weak}"
            );
        }
        assert_eq!(
            check_password("tnpkp1tnpkp1", &["tnp.kp1"]),
            Err(PasswordProblem::TooWeak),
            "the username twice"
        );
        assert_eq!(
            check_password("nguyenvanminh1", &["Nguyễn Văn Minh"]),
            Err(PasswordProblem::TooWeak),
            "one's own name"
        );
        assert_eq!(check_password("nguyenvanminh1", &["Trần Thị Lan"]), Ok(()));
        assert_eq!(
            check_password("đèn đường hư trước chợ Tăng Nhơn Phú", &[]),
            Ok(())
        );
        assert_eq!(check_password("m4y-b4y-x4nh-c4nh-d0ng", &[]), Ok(()));
    }

    #[test]
    fn each_role_is_attached_where_it_works() {
        use AttachmentProblem::*;
        let ward = Attachment {
            ward: true,
            ..Attachment::default()
        };
        let head = Attachment {
            neighborhood: true,
            ..ward
        };
        let staff = Attachment {
            department: true,
            ..ward
        };
        let none = Attachment::default();
        let cases = [
            (Role::NeighborhoodHead, head, Ok(())),
            (Role::NeighborhoodHead, ward, Err(NeighborhoodMissing)),
            (Role::NeighborhoodHead, none, Err(WardMissing)),
            (Role::DepartmentStaff, staff, Ok(())),
            (Role::DepartmentStaff, head, Err(DepartmentMissing)),
            (Role::WardLeader, ward, Ok(())),
            (Role::WardLeader, staff, Err(DepartmentNotAllowed)),
            (Role::WardLeader, head, Err(NeighborhoodNotAllowed)),
            (Role::CityLeader, none, Ok(())),
            (Role::CityLeader, ward, Err(WardNotAllowed)),
            (Role::Admin, none, Ok(())),
            (Role::Admin, ward, Ok(())),
            (Role::Admin, head, Err(NeighborhoodNotAllowed)),
        ];
        for (role, attachment, expected) in cases {
            assert_eq!(
                check_attachment(role, attachment),
                expected,
                "{role} {attachment:?}"
            );
        }
    }
}
