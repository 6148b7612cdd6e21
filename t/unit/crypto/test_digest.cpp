// Tests for lib/crypto/digest: HMAC-SHA-256, one-shot and keyed once (HmacSha256Key), against
// the test vectors of RFC 4231 §4, and the keyed form against the one-shot form for keys and
// messages of every length around the block size.
#include <string>
#include <thread>
#include <vector>

#include "cmocka_wrap.h"
#include "crypto/digest.h"
#include "util/codec.h"

namespace {

struct Vector {
    const char* key_hex;
    const char* data_hex;
    const char* mac_hex;  // HMAC-SHA-256
};

// RFC 4231 §4.2–§4.7 (test case 5, a truncated MAC, is left out: nothing here truncates).
const Vector kRfc4231[] = {
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddddd",
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {"0102030405060708090a0b0c0d0e0f10111213141516171819",
     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
     "cdcdcdcdcd",
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d204861736820"
     "4b6579204669727374",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65"
     "206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b"
     "6579206e6565647320746f20626520686173686564206265666f7265206265696e672075736564206279207468"
     "6520484d414320616c676f726974686d2e",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

std::string unhex(const char* hex) { return otp::hex_decode(hex).value(); }

void test_rfc4231_vectors(void**) {
    for (const Vector& v : kRfc4231) {
        const std::string key = unhex(v.key_hex), data = unhex(v.data_hex);
        assert_string_equal(otp::hex_encode(otp::hmac_sha256(key, data)).c_str(), v.mac_hex);
        const otp::HmacSha256Key keyed(key);
        assert_true(keyed.ok());
        assert_string_equal(otp::hex_encode(keyed.mac(data)).c_str(), v.mac_hex);
        // The keyed state is not consumed: a second MAC of the same data is the same.
        assert_string_equal(otp::hex_encode(keyed.mac(data)).c_str(), v.mac_hex);
    }
}

// Key lengths 0..150 (below, at and above the 64-byte block, where the key is hashed first)
// and message lengths 0..200: the keyed form always agrees with the one-shot form.
void test_keyed_matches_one_shot(void**) {
    for (std::size_t key_len = 0; key_len <= 150; key_len += 7) {
        std::string key(key_len, '\0');
        for (std::size_t i = 0; i < key_len; ++i) key[i] = static_cast<char>(i * 31 + key_len);
        const otp::HmacSha256Key keyed(key);
        for (std::size_t len = 0; len <= 200; len += 13) {
            const std::string data(len, static_cast<char>('a' + len % 26));
            const std::string mac = keyed.mac(data);
            assert_int_equal(mac.size(), 32);
            assert_true(mac == otp::hmac_sha256(key, data));
        }
    }
    // Different keys, different MACs.
    assert_true(otp::HmacSha256Key("k1").mac("m") != otp::HmacSha256Key("k2").mac("m"));
}

// One key shared by several threads (the module's worker threads): every MAC stays right.
void test_keyed_from_several_threads(void**) {
    const otp::HmacSha256Key keyed("shared key");
    const std::string expected = otp::hmac_sha256("shared key", "message");
    std::vector<int> wrong(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i)
                if (keyed.mac("message") != expected) ++wrong[t];
        });
    for (std::thread& thread : threads) thread.join();
    for (int count : wrong) assert_int_equal(count, 0);
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4231_vectors),
        cmocka_unit_test(test_keyed_matches_one_shot),
        cmocka_unit_test(test_keyed_from_several_threads),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
