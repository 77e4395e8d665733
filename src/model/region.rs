//! Provinces: the one-character abbreviation used in notice numbers (渝), the ISO 3166-2:CN code
//! used in ids (cq), and the name used in the provincial directory (附件1: 重庆).

/// (abbreviation, code, name as in 附件1).
pub const PROVINCES: [(char, &str, &str); 38] = [
    ('京', "bj", "北京"),
    ('津', "tj", "天津"),
    ('冀', "he", "河北"),
    ('晋', "sx", "山西"),
    ('蒙', "nm", "内蒙古"),
    ('辽', "ln", "辽宁"),
    ('吉', "jl", "吉林"),
    ('黑', "hl", "黑龙江"),
    ('沪', "sh", "上海"),
    ('苏', "js", "江苏"),
    ('浙', "zj", "浙江"),
    ('皖', "ah", "安徽"),
    ('闽', "fj", "福建"),
    ('赣', "jx", "江西"),
    ('鲁', "sd", "山东"),
    ('豫', "ha", "河南"),
    ('鄂', "hb", "湖北"),
    ('湘', "hn", "湖南"),
    ('粤', "gd", "广东"),
    ('桂', "gx", "广西"),
    ('琼', "hi", "海南"),
    ('渝', "cq", "重庆"),
    ('川', "sc", "四川"),
    ('蜀', "sc", "四川"),
    ('黔', "gz", "贵州"),
    ('贵', "gz", "贵州"),
    ('滇', "yn", "云南"),
    ('云', "yn", "云南"),
    ('藏', "xz", "西藏"),
    ('陕', "sn", "陕西"),
    ('秦', "sn", "陕西"),
    ('甘', "gs", "甘肃"),
    ('陇', "gs", "甘肃"),
    ('青', "qh", "青海"),
    ('宁', "nx", "宁夏"),
    ('新', "xj", "新疆"),
    ('港', "hk", "香港"),
    ('澳', "mo", "澳门"),
];

/// The code of a notice number's leading abbreviation (`渝` → `cq`).
pub fn code_of(abbreviation: char) -> Option<&'static str> {
    PROVINCES
        .iter()
        .find(|(a, _, _)| *a == abbreviation)
        .map(|(_, code, _)| *code)
}

/// The province a notice is from, by its id (`cq-jfb-2022-3` → 重庆); `None` for a national body.
pub fn province_of(notice_id: &str) -> Option<&'static str> {
    let code = notice_id.split('-').next()?;
    PROVINCES
        .iter()
        .find(|(_, c, _)| *c == code)
        .map(|(_, _, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_know_their_province() {
        assert_eq!(code_of('渝'), Some("cq"));
        assert_eq!(province_of("cq-jfb-2022-3"), Some("重庆"));
        assert_eq!(province_of("sc-jx-2023-12"), Some("四川"));
        assert_eq!(province_of("gxb-2021-1"), None);
    }
}
