#include "mod_otp/basic/linger.h"

#include "crypto/digest.h"
#include "store/state_store.h"
#include "util/codec.h"

std::string linger_record_key(const otp::HmacSha256Key& secret, std::string_view scope,
                              std::string_view user, std::string_view password,
                              std::string_view client_address,
                              const std::vector<otp::TokenRecord>& tokens) {
    std::string token_state;
    for (const otp::TokenRecord& token : tokens)
        token_state += otp::length_prefixed({token.secret, token.pin});
    const std::string mac =
        secret.mac(otp::length_prefixed({scope, user, password, client_address, token_state}));
    if (mac.empty()) return {};  // no key: no linger record can be found or made
    return otp::record_key(otp::hex_encode(mac), "linger");
}
