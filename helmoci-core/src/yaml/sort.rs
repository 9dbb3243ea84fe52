//! The order yaml.v2 writes map keys in (`sorter.go`, `keyList.Less`), for string keys.

/// yaml.v2's `keyList.Less` for two string keys: a "natural" order where runs of digits
/// compare by value, and at the first difference a letter sorts before a non-letter.
///
/// It is not bytewise: `a9 < a10`, `B < a`, `_x < 0 < A`, and `x10y < x1y` (after the
/// common `x1`, the letter `y` sorts before the digit `0`).
///
/// # Deviation from Helm
/// Go's `unicode.IsLetter` (categories L*) and `unicode.IsDigit` (Nd) are approximated by
/// Rust's `char::is_alphabetic` and `char::is_numeric`; they differ only for a few
/// non-ASCII characters (letter-like numbers such as `Ⅻ`, combining vowel signs, `²`).
pub fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    less_chars(&ar, &br)
}

/// [`key_less`] on keys already split into characters (Go's `[]rune`).
fn less_chars(ar: &[char], br: &[char]) -> bool {
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            // A zero after a non-zero digit run is part of that number.
            for j in (0..i).rev() {
                if !ar[j].is_numeric() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_numeric() {
            an = an.wrapping_mul(10).wrapping_add(digit_value(ar[ai]));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_numeric() {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(br[bi]));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Go's `int64(r - '0')`.
fn digit_value(c: char) -> i64 {
    i64::from(u32::from(c)) - i64::from(u32::from('0'))
}

/// The order in which to write `keys`: indices sorted with [`key_less`]. A merge sort: it
/// never panics, even when `key_less` is not a strict weak order for some exotic set of keys
/// (Go's sort gives an unspecified order then, as does this).
pub(crate) fn sorted_order(keys: &[&str]) -> Vec<usize> {
    let keys: Vec<Vec<char>> = keys.iter().map(|k| k.chars().collect()).collect();
    let n = keys.len();
    let mut idx: Vec<usize> = (0..n).collect();
    let mut buf: Vec<usize> = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut l, mut r) = (start, mid);
            for slot in &mut buf[start..end] {
                let take_right = l >= mid || (r < end && less_chars(&keys[idx[r]], &keys[idx[l]]));
                if take_right {
                    *slot = idx[r];
                    r += 1;
                } else {
                    *slot = idx[l];
                    l += 1;
                }
            }
            start = end;
        }
        std::mem::swap(&mut idx, &mut buf);
        width *= 2;
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! less {
        ($name:ident, $a:expr, $b:expr) => {
            #[test]
            fn $name() {
                assert!(key_less($a, $b), "{:?} should sort before {:?}", $a, $b);
                assert!(
                    !key_less($b, $a),
                    "{:?} should not sort before {:?}",
                    $b,
                    $a
                );
            }
        };
    }

    less!(digits_compare_by_value, "a9", "a10");
    less!(shorter_digit_run_first_when_equal_value, "a1", "a01");
    less!(zero_padded_longer_after, "a01", "a001");
    less!(upper_before_lower, "B", "a");
    less!(underscore_before_digit, "_x", "0");
    less!(non_letters_before_letters, "0", "A");
    less!(dash_before_dot, "-", ".");
    less!(letter_beats_digit_at_difference, "x10y", "x1y");
    less!(number_value_then_length, "2", "02");
    less!(two_before_ten, "2", "10");
    less!(prefix_first, "a", "aa");
    less!(space_before_letter, "a b", "a-1");
    less!(domain_numbers_natural, "example.com/9", "example.com/10");
    less!(digit_after_nonzero_run_counts, "ab1c2", "ab1c10");
    less!(unicode_letters_by_code_point, "z", "é");
    less!(api_version_before_app_version, "apiVersion", "appVersion");

    #[test]
    fn sorts_helm_annotation_keys_like_yaml_v2() {
        let keys = [
            "a10", "a9", "a1", "a01", "B", "b", "_x", "1", "10", "2", "02", "x1y", "x10y", "-", ".",
        ];
        let sorted: Vec<&str> = sorted_order(&keys).into_iter().map(|i| keys[i]).collect();
        assert_eq!(
            sorted,
            [
                "-", ".", "_x", "1", "2", "02", "10", "B", "a1", "a01", "a9", "a10", "b", "x10y",
                "x1y"
            ]
        );
    }
}
