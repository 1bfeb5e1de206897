//! The codes of `TAXONOMY.md`: categories, subcategories, departments, priorities and states.
//!
//! Codes are the contract with the phone app and the dashboards: ASCII snake_case, never
//! renamed. Labels are the words people see, in Vietnamese and English.

pub use crate::code::UnknownCode;
use crate::code::codes;
use crate::language::Lang;

codes!(
    /// The three areas of the service, plus `other` for what fits nowhere.
    Category, "category" {
        Infrastructure => "infrastructure", "Hạ tầng", "Infrastructure";
        Security => "security", "An ninh trật tự", "Security and public order";
        Sanitation => "sanitation", "Vệ sinh môi trường", "Environmental sanitation";
        Other => "other", "Khác", "Other";
    }
);

codes!(
    Subcategory, "subcategory" {
        RoadDamage => "road_damage", "Hư hỏng đường, vỉa hè", "Damaged roads and sidewalks";
        Streetlight => "streetlight", "Đèn chiếu sáng công cộng", "Street lighting";
        DrainageFlooding => "drainage_flooding", "Thoát nước, ngập", "Drainage and flooding";
        Trees => "trees", "Cây xanh", "Trees";
        PowerLines => "power_lines", "Điện, cáp", "Power lines and cables";
        WaterSupply => "water_supply", "Cấp nước", "Water supply";
        TrafficSignals => "traffic_signals", "Đèn tín hiệu, biển báo", "Traffic lights and signs";
        TheftRobbery => "theft_robbery", "Trộm cắp, cướp giật", "Theft and robbery";
        FightingDisturbance => "fighting_disturbance", "Gây rối, đánh nhau",
            "Fighting and disturbance";
        Noise => "noise", "Tiếng ồn", "Noise";
        DrugsGambling => "drugs_gambling", "Ma túy, cờ bạc", "Drugs and gambling";
        Encroachment => "encroachment", "Lấn chiếm lòng lề đường",
            "Encroachment on roads and sidewalks";
        IllegalConstruction => "illegal_construction", "Trật tự xây dựng", "Construction order";
        FireHazard => "fire_hazard", "Cháy nổ", "Fire and explosion hazards";
        IllegalDumping => "illegal_dumping", "Đổ rác, xả thải trái phép", "Illegal dumping";
        UncollectedWaste => "uncollected_waste", "Thu gom rác", "Waste collection";
        WastewaterOdor => "wastewater_odor", "Nước thải, mùi hôi", "Wastewater and odors";
        AirPollution => "air_pollution", "Khói bụi, ô nhiễm không khí",
            "Smoke, dust and air pollution";
        DiseaseVectors => "disease_vectors", "Dịch bệnh, côn trùng, xác động vật",
            "Disease, pests and dead animals";
        Other => "other", "Khác", "Other";
    }
);

codes!(
    /// The default units of a ward (`TAXONOMY.md`); a ward may rename them or add its own.
    DepartmentCode, "department" {
        WardOffice => "ward_office", "Văn phòng HĐND và UBND",
            "Office of the People's Council and People's Committee";
        EconomyInfrastructure => "economy_infrastructure", "Phòng Kinh tế, Hạ tầng và Đô thị",
            "Economy, Infrastructure and Urban Affairs Division";
        CultureSociety => "culture_society", "Phòng Văn hóa - Xã hội",
            "Culture and Social Affairs Division";
        UrbanOrder => "urban_order", "Đội Trật tự đô thị", "Urban Order Team";
        WardPolice => "ward_police", "Công an phường", "Ward Police";
    }
);

codes!(
    Priority, "priority" {
        Urgent => "urgent", "Khẩn cấp", "Urgent";
        High => "high", "Cao", "High";
        Normal => "normal", "Bình thường", "Normal";
        Low => "low", "Thấp", "Low";
    }
);

codes!(
    /// The states of a report (`TAXONOMY.md`, "Report states").
    Status, "status" {
        Submitted => "submitted", "Đã gửi", "Submitted";
        Assigned => "assigned", "Đã chuyển xử lý", "Assigned";
        Acknowledged => "acknowledged", "Đã tiếp nhận", "Acknowledged";
        InProgress => "in_progress", "Đang xử lý", "In progress";
        Resolved => "resolved", "Đã xử lý", "Resolved";
        Closed => "closed", "Đã đóng", "Closed";
        Rejected => "rejected", "Từ chối", "Rejected";
        Duplicate => "duplicate", "Trùng lặp", "Duplicate";
    }
);

codes!(
    Role, "role" {
        NeighborhoodHead => "neighborhood_head", "Trưởng khu phố", "Neighborhood head";
        DepartmentStaff => "department_staff", "Cán bộ phòng ban", "Department staff";
        WardLeader => "ward_leader", "Lãnh đạo phường", "Ward leader";
        CityLeader => "city_leader", "Lãnh đạo thành phố", "City leader";
        Admin => "admin", "Quản trị", "Administrator";
    }
);

codes!(
    /// What a person can do to a report (`POST /v1/reports/{id}/actions`).
    Action, "action" {
        Acknowledge => "acknowledge", "Tiếp nhận", "Acknowledge";
        Start => "start", "Bắt đầu xử lý", "Start work";
        Resolve => "resolve", "Trả lời kết quả", "Resolve";
        Reject => "reject", "Từ chối", "Reject";
        Reroute => "reroute", "Chuyển xử lý", "Reroute";
        MarkDuplicate => "mark_duplicate", "Đánh dấu trùng", "Mark as duplicate";
        Comment => "comment", "Ghi chú", "Comment";
        Reopen => "reopen", "Mở lại", "Reopen";
        Close => "close", "Đóng", "Close";
        Extend => "extend", "Gia hạn", "Extend the deadline";
    }
);

codes!(
    /// The kinds of event in a report's timeline; also the types of inbox entries.
    EventType, "event type" {
        Submitted => "report.submitted", "Phản ánh mới", "New report";
        Assigned => "report.assigned", "Đã chuyển đến đơn vị xử lý", "Sent to a department";
        Acknowledged => "report.acknowledged", "Đơn vị đã tiếp nhận",
            "Acknowledged by the department";
        InProgress => "report.in_progress", "Đang xử lý", "Work started";
        Resolved => "report.resolved", "Đã có kết quả xử lý", "Report resolved";
        Rejected => "report.rejected", "Phản ánh bị từ chối", "Report rejected";
        Duplicate => "report.duplicate", "Phản ánh trùng", "Duplicate report";
        Rerouted => "report.rerouted", "Đã chuyển đơn vị khác", "Sent to another department";
        Reopened => "report.reopened", "Phản ánh được mở lại", "Report reopened";
        Closed => "report.closed", "Phản ánh đã đóng", "Report closed";
        Commented => "report.commented", "Có ý kiến mới", "New comment";
        DeadlineWarning => "report.deadline_warning", "Sắp quá hạn", "Deadline approaching";
        Escalated => "report.escalated", "Quá hạn, báo lãnh đạo", "Overdue, leaders alerted";
        DeadlineExtended => "report.deadline_extended", "Được gia hạn", "Deadline extended";
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
///
/// The examples are Vietnamese in every language: they show what to write, and reports are
/// written (and classified) in Vietnamese.
pub struct Guide {
    pub icon: &'static str,
    description_vi: &'static str,
    description_en: &'static str,
    pub examples: &'static [&'static str],
}

impl Guide {
    /// One line of what belongs under the subcategory, for people who read `lang`.
    pub fn description(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.description_vi,
            Lang::En => self.description_en,
        }
    }
}

impl Subcategory {
    pub fn guide(self) -> Guide {
        use Subcategory::*;
        let (icon, description_vi, description_en, examples): (&str, &str, &str, &[&str]) =
            match self {
                RoadDamage => (
                    "add_road",
                    "Ổ gà, sụt lún, vỉa hè bể, nắp cống hở trên đường.",
                    "Potholes, sunken roads, broken sidewalks, open manholes on the road.",
                    &[
                        "Đường bị sụt lún thành ổ gà lớn",
                        "Vỉa hè bể nát, người đi bộ dễ té",
                    ],
                ),
                Streetlight => (
                    "lightbulb",
                    "Đèn đường không sáng, chập chờn hoặc sáng cả ban ngày.",
                    "Street lights that are off, flickering or on during the day.",
                    &[
                        "Đèn đường hư mấy đêm nay, hẻm tối om",
                        "den duong khong sang",
                    ],
                ),
                DrainageFlooding => (
                    "flood",
                    "Ngập khi mưa, cống nghẹt, miệng cống bị che lấp.",
                    "Flooding after rain, blocked drains, covered drain inlets.",
                    &[
                        "Mưa xong hẻm ngập tới đầu gối",
                        "Cống thoát nước bị nghẹt rác",
                    ],
                ),
                Trees => (
                    "park",
                    "Cây ngã, nhánh gãy, cây nghiêng cần cắt tỉa.",
                    "Fallen trees, broken branches, leaning trees that need pruning.",
                    &[
                        "Cây xanh bị ngã chắn ngang đường",
                        "Nhánh cây gãy treo lơ lửng trên đầu",
                    ],
                ),
                PowerLines => (
                    "electric_bolt",
                    "Dây điện đứt, võng thấp, trụ điện nghiêng, mất điện.",
                    "Broken or sagging cables, leaning poles, power cuts.",
                    &[
                        "Dây điện bị đứt rơi xuống đường",
                        "Trụ điện nghiêng sắp ngã",
                    ],
                ),
                WaterSupply => (
                    "water_drop",
                    "Mất nước, nước yếu, nước đục, ống nước bể.",
                    "No tap water, low pressure, dirty water, burst pipes.",
                    &["Khu phố mất nước từ sáng", "Ống nước bể phun lên mặt đường"],
                ),
                TrafficSignals => (
                    "traffic",
                    "Đèn giao thông hư, biển báo ngã hoặc bị che khuất.",
                    "Broken traffic lights, fallen or hidden road signs.",
                    &[
                        "Đèn giao thông ở ngã tư không hoạt động",
                        "Biển báo bị ngã nằm dưới đất",
                    ],
                ),
                TheftRobbery => (
                    "local_police",
                    "Trộm cắp, cướp giật, đột nhập nhà.",
                    "Theft, snatch theft, break-ins.",
                    &[
                        "Vừa bị giật điện thoại trước cửa nhà",
                        "Trộm vào nhà lấy mất xe máy",
                    ],
                ),
                FightingDisturbance => (
                    "sports_kabaddi",
                    "Đánh nhau, gây rối, say xỉn quậy phá.",
                    "Fights, disorder, drunken trouble.",
                    &[
                        "Nhóm thanh niên đánh nhau ngoài đầu hẻm",
                        "Có người say xỉn la hét gây rối",
                    ],
                ),
                Noise => (
                    "volume_up",
                    "Hát karaoke, loa lớn, công trình ồn vào giờ nghỉ.",
                    "Karaoke, loudspeakers, noisy building work during rest hours.",
                    &[
                        "Hàng xóm hát karaoke tới khuya",
                        "Công trình đục phá ồn ào lúc nửa đêm",
                    ],
                ),
                DrugsGambling => (
                    "gavel",
                    "Nghi sử dụng, mua bán ma túy; tụ tập cờ bạc, đá gà.",
                    "Suspected drug use or dealing; gambling, cockfighting.",
                    &[
                        "Nghi có nhóm tụ tập sử dụng ma túy",
                        "Có sòng bạc đá gà trong hẻm",
                    ],
                ),
                Encroachment => (
                    "storefront",
                    "Buôn bán, để xe, dựng mái che lấn chiếm lòng lề đường.",
                    "Stalls, parking or awnings taking over the road or sidewalk.",
                    &[
                        "Quán lấn chiếm hết vỉa hè",
                        "Xe đậu tràn lòng đường gây kẹt xe",
                    ],
                ),
                IllegalConstruction => (
                    "construction",
                    "Xây dựng không phép, sai phép, vật liệu chắn đường.",
                    "Building without or beyond a permit, materials blocking the way.",
                    &[
                        "Nhà bên cạnh xây thêm tầng không phép",
                        "Cát đá xây dựng đổ chắn lối đi",
                    ],
                ),
                FireHazard => (
                    "local_fire_department",
                    "Cháy, khói, mùi gas, nguy cơ cháy nổ.",
                    "Fire, smoke, a smell of gas, risks of fire or explosion.",
                    &[
                        "Có cháy ở căn nhà cuối hẻm",
                        "Ngửi thấy mùi gas rò rỉ rất nặng",
                    ],
                ),
                IllegalDumping => (
                    "delete_forever",
                    "Đổ rác, xà bần, xả thải trái phép ra đường, kênh rạch.",
                    "Garbage, debris or waste dumped on streets or into canals.",
                    &[
                        "Có người đổ xà bần ra lề đường ban đêm",
                        "Xả rác xuống kênh",
                    ],
                ),
                UncollectedWaste => (
                    "delete",
                    "Rác không được thu gom, điểm tập kết rác quá tải.",
                    "Garbage not collected, overflowing collection points.",
                    &[
                        "Rác mấy ngày chưa ai thu gom",
                        "Điểm tập kết rác tràn ra đường",
                    ],
                ),
                WastewaterOdor => (
                    "water_damage",
                    "Nước thải tràn, cống bốc mùi hôi.",
                    "Overflowing wastewater, stinking drains.",
                    &["Nước thải tràn ra hẻm bốc mùi hôi", "Cống bốc mùi hôi thối"],
                ),
                AirPollution => (
                    "air",
                    "Đốt rác, khói bụi từ xưởng hoặc công trình.",
                    "Burning waste, smoke and dust from workshops or building sites.",
                    &["Có người đốt rác khói mù mịt", "Xưởng gần nhà xả khói bụi"],
                ),
                DiseaseVectors => (
                    "pest_control",
                    "Muỗi, chuột, ổ dịch sốt xuất huyết, xác động vật.",
                    "Mosquitoes, rats, dengue outbreaks, dead animals.",
                    &[
                        "Nhiều muỗi, trong hẻm có người bị sốt xuất huyết",
                        "Xác chó chết bốc mùi giữa đường",
                    ],
                ),
                Other => (
                    "help",
                    "Việc khác cần phường biết; phường sẽ chuyển đúng nơi.",
                    "Anything else the ward should know; the ward sends it to the right place.",
                    &["Cần hỏi thủ tục xin giấy phép"],
                ),
            };
        Guide {
            icon,
            description_vi,
            description_en,
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
            assert!(!guide.icon.is_empty());
            assert!(!guide.description(Lang::Vi).is_empty());
            assert!(!guide.description(Lang::En).is_empty());
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
