//! The codes of `TAXONOMY.md`: categories, subcategories, departments, priorities and states.
//!
//! Codes are the contract with the phone app and the dashboards: ASCII snake_case, never
//! renamed. Labels are the Vietnamese words people see.

pub use crate::code::UnknownCode;
use crate::code::codes;

codes!(
    /// The three areas of the service, plus `other` for what fits nowhere.
    Category, "category" {
        Infrastructure => "infrastructure", "Hạ tầng";
        Security => "security", "An ninh trật tự";
        Sanitation => "sanitation", "Vệ sinh môi trường";
        Other => "other", "Khác";
    }
);

codes!(
    Subcategory, "subcategory" {
        RoadDamage => "road_damage", "Hư hỏng đường, vỉa hè";
        Streetlight => "streetlight", "Đèn chiếu sáng công cộng";
        DrainageFlooding => "drainage_flooding", "Thoát nước, ngập";
        Trees => "trees", "Cây xanh";
        PowerLines => "power_lines", "Điện, cáp";
        WaterSupply => "water_supply", "Cấp nước";
        TrafficSignals => "traffic_signals", "Đèn tín hiệu, biển báo";
        TheftRobbery => "theft_robbery", "Trộm cắp, cướp giật";
        FightingDisturbance => "fighting_disturbance", "Gây rối, đánh nhau";
        Noise => "noise", "Tiếng ồn";
        DrugsGambling => "drugs_gambling", "Ma túy, cờ bạc";
        Encroachment => "encroachment", "Lấn chiếm lòng lề đường";
        IllegalConstruction => "illegal_construction", "Trật tự xây dựng";
        FireHazard => "fire_hazard", "Cháy nổ";
        IllegalDumping => "illegal_dumping", "Đổ rác, xả thải trái phép";
        UncollectedWaste => "uncollected_waste", "Thu gom rác";
        WastewaterOdor => "wastewater_odor", "Nước thải, mùi hôi";
        AirPollution => "air_pollution", "Khói bụi, ô nhiễm không khí";
        DiseaseVectors => "disease_vectors", "Dịch bệnh, côn trùng, xác động vật";
        Other => "other", "Khác";
    }
);

codes!(
    /// The default units of a ward (`TAXONOMY.md`); a ward may rename them or add its own.
    DepartmentCode, "department" {
        WardOffice => "ward_office", "Văn phòng HĐND và UBND";
        EconomyInfrastructure => "economy_infrastructure", "Phòng Kinh tế, Hạ tầng và Đô thị";
        CultureSociety => "culture_society", "Phòng Văn hóa - Xã hội";
        UrbanOrder => "urban_order", "Đội Trật tự đô thị";
        WardPolice => "ward_police", "Công an phường";
    }
);

codes!(
    Priority, "priority" {
        Urgent => "urgent", "Khẩn cấp";
        High => "high", "Cao";
        Normal => "normal", "Bình thường";
        Low => "low", "Thấp";
    }
);

codes!(
    /// The states of a report (`TAXONOMY.md`, "Report states").
    Status, "status" {
        Submitted => "submitted", "Đã gửi";
        Assigned => "assigned", "Đã chuyển xử lý";
        Acknowledged => "acknowledged", "Đã tiếp nhận";
        InProgress => "in_progress", "Đang xử lý";
        Resolved => "resolved", "Đã xử lý";
        Closed => "closed", "Đã đóng";
        Rejected => "rejected", "Từ chối";
        Duplicate => "duplicate", "Trùng lặp";
    }
);

codes!(
    Role, "role" {
        NeighborhoodHead => "neighborhood_head", "Trưởng khu phố";
        DepartmentStaff => "department_staff", "Cán bộ phòng ban";
        WardLeader => "ward_leader", "Lãnh đạo phường";
        CityLeader => "city_leader", "Lãnh đạo thành phố";
        Admin => "admin", "Quản trị";
    }
);

codes!(
    /// What a person can do to a report (`POST /v1/reports/{id}/actions`).
    Action, "action" {
        Acknowledge => "acknowledge", "Tiếp nhận";
        Start => "start", "Bắt đầu xử lý";
        Resolve => "resolve", "Trả lời kết quả";
        Reject => "reject", "Từ chối";
        Reroute => "reroute", "Chuyển xử lý";
        MarkDuplicate => "mark_duplicate", "Đánh dấu trùng";
        Comment => "comment", "Ghi chú";
        Reopen => "reopen", "Mở lại";
        Close => "close", "Đóng";
        Extend => "extend", "Gia hạn";
    }
);

codes!(
    /// The kinds of event in a report's timeline; also the types of inbox entries.
    EventType, "event type" {
        Submitted => "report.submitted", "Phản ánh mới";
        Assigned => "report.assigned", "Đã chuyển đến đơn vị xử lý";
        Acknowledged => "report.acknowledged", "Đơn vị đã tiếp nhận";
        InProgress => "report.in_progress", "Đang xử lý";
        Resolved => "report.resolved", "Đã có kết quả xử lý";
        Rejected => "report.rejected", "Phản ánh bị từ chối";
        Duplicate => "report.duplicate", "Phản ánh trùng";
        Rerouted => "report.rerouted", "Đã chuyển đơn vị khác";
        Reopened => "report.reopened", "Phản ánh được mở lại";
        Closed => "report.closed", "Phản ánh đã đóng";
        Commented => "report.commented", "Có ý kiến mới";
        DeadlineWarning => "report.deadline_warning", "Sắp quá hạn";
        Escalated => "report.escalated", "Quá hạn, báo lãnh đạo";
        DeadlineExtended => "report.deadline_extended", "Được gia hạn";
    }
);

impl Subcategory {
    pub fn category(self) -> Category {
        use Subcategory::*;
        match self {
            RoadDamage | Streetlight | DrainageFlooding | Trees | PowerLines | WaterSupply
            | TrafficSignals => Category::Infrastructure,
            TheftRobbery | FightingDisturbance | Noise | DrugsGambling | Encroachment
            | IllegalConstruction | FireHazard => Category::Security,
            IllegalDumping | UncollectedWaste | WastewaterOdor | AirPollution | DiseaseVectors => {
                Category::Sanitation
            }
            Other => Category::Other,
        }
    }

    /// The department of the TAXONOMY template; `other` goes to the triage desk.
    pub fn default_department(self) -> DepartmentCode {
        use Subcategory::*;
        match self {
            TheftRobbery | FightingDisturbance | Noise | DrugsGambling | FireHazard => {
                DepartmentCode::WardPolice
            }
            Encroachment | IllegalConstruction => DepartmentCode::UrbanOrder,
            DiseaseVectors => DepartmentCode::CultureSociety,
            Other => DepartmentCode::WardOffice,
            _ => DepartmentCode::EconomyInfrastructure,
        }
    }

    /// Subcategories of one category, in taxonomy order.
    pub fn of(category: Category) -> impl Iterator<Item = Subcategory> {
        Subcategory::ALL
            .iter()
            .copied()
            .filter(move |s| s.category() == category)
    }
}

impl Status {
    /// Open reports still wait for the ward; the others are finished or merged.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            Status::Closed | Status::Rejected | Status::Duplicate | Status::Resolved
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_strings_and_json() {
        for s in Subcategory::ALL {
            assert_eq!(s.as_str().parse::<Subcategory>(), Ok(*s));
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(*s));
        }
    }

    #[test]
    fn unknown_code_names_its_kind() {
        let err = "pothole".parse::<Subcategory>().unwrap_err();
        assert_eq!(err.to_string(), "unknown subcategory code `pothole`");
    }

    #[test]
    fn nineteen_subcategories_plus_other_follow_the_table() {
        assert_eq!(Subcategory::ALL.len(), 20);
        assert_eq!(Subcategory::of(Category::Infrastructure).count(), 7);
        assert_eq!(Subcategory::of(Category::Security).count(), 7);
        assert_eq!(Subcategory::of(Category::Sanitation).count(), 5);
        assert_eq!(
            Subcategory::Encroachment.default_department(),
            DepartmentCode::UrbanOrder
        );
        assert_eq!(
            Subcategory::FireHazard.default_department(),
            DepartmentCode::WardPolice
        );
        assert_eq!(
            Subcategory::DiseaseVectors.default_department(),
            DepartmentCode::CultureSociety
        );
        assert_eq!(
            Subcategory::IllegalDumping.default_department(),
            DepartmentCode::EconomyInfrastructure
        );
        assert_eq!(
            Subcategory::Other.default_department(),
            DepartmentCode::WardOffice
        );
    }
}

/// What a category picker shows of a subcategory beside its label: a stable icon name (from
/// Material Symbols, which both phone platforms draw), one line of what belongs here, and
/// phrases a neighborhood head would type, each one the classifier files under it.
pub struct Guide {
    pub icon: &'static str,
    pub description: &'static str,
    pub examples: &'static [&'static str],
}

impl Subcategory {
    pub fn guide(self) -> Guide {
        use Subcategory::*;
        let (icon, description, examples): (&str, &str, &[&str]) = match self {
            RoadDamage => (
                "add_road",
                "Ổ gà, sụt lún, vỉa hè bể, nắp cống hở trên đường.",
                &[
                    "Đường bị sụt lún thành ổ gà lớn",
                    "Vỉa hè bể nát, người đi bộ dễ té",
                ],
            ),
            Streetlight => (
                "lightbulb",
                "Đèn đường không sáng, chập chờn hoặc sáng cả ban ngày.",
                &[
                    "Đèn đường hư mấy đêm nay, hẻm tối om",
                    "den duong khong sang",
                ],
            ),
            DrainageFlooding => (
                "flood",
                "Ngập khi mưa, cống nghẹt, miệng cống bị che lấp.",
                &[
                    "Mưa xong hẻm ngập tới đầu gối",
                    "Cống thoát nước bị nghẹt rác",
                ],
            ),
            Trees => (
                "park",
                "Cây ngã, nhánh gãy, cây nghiêng cần cắt tỉa.",
                &[
                    "Cây xanh bị ngã chắn ngang đường",
                    "Nhánh cây gãy treo lơ lửng trên đầu",
                ],
            ),
            PowerLines => (
                "electric_bolt",
                "Dây điện đứt, võng thấp, trụ điện nghiêng, mất điện.",
                &[
                    "Dây điện bị đứt rơi xuống đường",
                    "Trụ điện nghiêng sắp ngã",
                ],
            ),
            WaterSupply => (
                "water_drop",
                "Mất nước, nước yếu, nước đục, ống nước bể.",
                &["Khu phố mất nước từ sáng", "Ống nước bể phun lên mặt đường"],
            ),
            TrafficSignals => (
                "traffic",
                "Đèn giao thông hư, biển báo ngã hoặc bị che khuất.",
                &[
                    "Đèn giao thông ở ngã tư không hoạt động",
                    "Biển báo bị ngã nằm dưới đất",
                ],
            ),
            TheftRobbery => (
                "local_police",
                "Trộm cắp, cướp giật, đột nhập nhà.",
                &[
                    "Vừa bị giật điện thoại trước cửa nhà",
                    "Trộm vào nhà lấy mất xe máy",
                ],
            ),
            FightingDisturbance => (
                "sports_kabaddi",
                "Đánh nhau, gây rối, say xỉn quậy phá.",
                &[
                    "Nhóm thanh niên đánh nhau ngoài đầu hẻm",
                    "Có người say xỉn la hét gây rối",
                ],
            ),
            Noise => (
                "volume_up",
                "Hát karaoke, loa lớn, công trình ồn vào giờ nghỉ.",
                &[
                    "Hàng xóm hát karaoke tới khuya",
                    "Công trình đục phá ồn ào lúc nửa đêm",
                ],
            ),
            DrugsGambling => (
                "gavel",
                "Nghi sử dụng, mua bán ma túy; tụ tập cờ bạc, đá gà.",
                &[
                    "Nghi có nhóm tụ tập sử dụng ma túy",
                    "Có sòng bạc đá gà trong hẻm",
                ],
            ),
            Encroachment => (
                "storefront",
                "Buôn bán, để xe, dựng mái che lấn chiếm lòng lề đường.",
                &[
                    "Quán lấn chiếm hết vỉa hè",
                    "Xe đậu tràn lòng đường gây kẹt xe",
                ],
            ),
            IllegalConstruction => (
                "construction",
                "Xây dựng không phép, sai phép, vật liệu chắn đường.",
                &[
                    "Nhà bên cạnh xây thêm tầng không phép",
                    "Cát đá xây dựng đổ chắn lối đi",
                ],
            ),
            FireHazard => (
                "local_fire_department",
                "Cháy, khói, mùi gas, nguy cơ cháy nổ.",
                &[
                    "Có cháy ở căn nhà cuối hẻm",
                    "Ngửi thấy mùi gas rò rỉ rất nặng",
                ],
            ),
            IllegalDumping => (
                "delete_forever",
                "Đổ rác, xà bần, xả thải trái phép ra đường, kênh rạch.",
                &[
                    "Có người đổ xà bần ra lề đường ban đêm",
                    "Xả rác xuống kênh",
                ],
            ),
            UncollectedWaste => (
                "delete",
                "Rác không được thu gom, điểm tập kết rác quá tải.",
                &[
                    "Rác mấy ngày chưa ai thu gom",
                    "Điểm tập kết rác tràn ra đường",
                ],
            ),
            WastewaterOdor => (
                "water_damage",
                "Nước thải tràn, cống bốc mùi hôi.",
                &["Nước thải tràn ra hẻm bốc mùi hôi", "Cống bốc mùi hôi thối"],
            ),
            AirPollution => (
                "air",
                "Đốt rác, khói bụi từ xưởng hoặc công trình.",
                &["Có người đốt rác khói mù mịt", "Xưởng gần nhà xả khói bụi"],
            ),
            DiseaseVectors => (
                "pest_control",
                "Muỗi, chuột, ổ dịch sốt xuất huyết, xác động vật.",
                &[
                    "Nhiều muỗi, trong hẻm có người bị sốt xuất huyết",
                    "Xác chó chết bốc mùi giữa đường",
                ],
            ),
            Other => (
                "help",
                "Việc khác cần phường biết; phường sẽ chuyển đúng nơi.",
                &["Cần hỏi thủ tục xin giấy phép"],
            ),
        };
        Guide {
            icon,
            description,
            examples,
        }
    }
}

#[cfg(test)]
mod guide_tests {
    use super::*;
    use crate::classify::Classifier;
    use crate::classify::model::Model;

    #[test]
    fn every_example_a_picker_shows_is_filed_under_its_own_subcategory() {
        let model = Model::builtin();
        let mut wrong = Vec::new();
        for &subcategory in Subcategory::ALL {
            let guide = subcategory.guide();
            assert!(!guide.icon.is_empty() && !guide.description.is_empty());
            assert!(!guide.examples.is_empty(), "{subcategory:?}");
            for example in guide.examples {
                let got = model.classify(example).subcategory;
                if got != subcategory {
                    wrong.push(format!("{example:?}: {got:?}, not {subcategory:?}"));
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
