#include "mod_otp/store/shared_table_region.h"

#include <apr_shm.h>

#include <cstring>

#include "store/shared_table_store.h"
#include "util/numbers.h"

APLOG_USE_MODULE(otp);

namespace {

// Kept in the process pool's user data across restarts.
struct TableMapping {
    apr_shm_t* shm;
    std::size_t bytes;
};
constexpr const char* kTableUserData = "mod_otp-state-table";

}  // namespace

const char* otp_parse_table_size(apr_pool_t* pool, const std::string& args, std::size_t* bytes) {
    if (args.empty()) {
        *bytes = kDefaultTableBytes;
        return nullptr;
    }
    std::string number = args;
    const std::string::size_type open = args.find('(');
    if (open != std::string::npos) {
        if (args.back() != ')')
            return apr_psprintf(pool, "OTPStateStore shmcb:%s: expected PATH(BYTES) or BYTES",
                                args.c_str());
        number = args.substr(open + 1, args.size() - open - 2);
    }
    const auto parsed = otp::parse_decimal<std::size_t>(number);
    const std::size_t minimum =
        otp::SharedTableGeometry::header_bytes() +
        otp::SharedTableGeometry::kMinSlots * otp::SharedTableGeometry::kSlotBytes;
    if (!parsed || *parsed < minimum || *parsed > kMaxTableBytes)
        return apr_psprintf(pool,
                            "OTPStateStore shmcb:%s: the size must be a number of bytes from "
                            "%" APR_SIZE_T_FMT " to %" APR_SIZE_T_FMT "",
                            args.c_str(), minimum, kMaxTableBytes);
    *bytes = *parsed;
    return nullptr;
}

const char* otp_table_post_config(OtpModuleState& state, apr_pool_t* ptemp, server_rec* server) {
    const std::size_t bytes = state.store_config.table_bytes;
    apr_pool_t* process_pool = server->process->pool;
    void* data = nullptr;
    apr_pool_userdata_get(&data, kTableUserData, process_pool);
    auto* mapping = static_cast<TableMapping*>(data);
    if (mapping && mapping->bytes == bytes &&
        otp::SharedTableStore::is_formatted(apr_shm_baseaddr_get(mapping->shm), bytes)) {
        state.table_region = apr_shm_baseaddr_get(mapping->shm);
        return nullptr;  // a restart: the same table, with everything it holds
    }
    if (mapping) {
        // Another size: children of the old generation may still use the old table, so it
        // stays mapped (it goes with the process); the new generation starts empty.
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, server,
                     "OTPStateStore: the store's size changed from %" APR_SIZE_T_FMT
                     " to %" APR_SIZE_T_FMT
                     " bytes; the new "
                     "store starts empty (lockouts, replay records and sessions are not carried "
                     "over)",
                     mapping->bytes, bytes);
    }
    apr_shm_t* shm = nullptr;
    apr_status_t rv = apr_shm_create(&shm, bytes, nullptr, process_pool);
    if (rv != APR_SUCCESS)
        return apr_psprintf(
            ptemp, "OTPStateStore shmcb: cannot map %" APR_SIZE_T_FMT " bytes of shared memory",
            bytes);
    void* region = apr_shm_baseaddr_get(shm);
    // Anonymous shared memory is zero already; writing it once commits every page now, in the
    // parent, so the store's capacity is real memory from the start (no failure to fault a page
    // in under load later) and children do not pay a zero-fill fault per new record.
    std::memset(region, 0, bytes);
    std::string error;
    if (!otp::SharedTableStore::format(region, bytes, &error))
        return apr_psprintf(ptemp, "OTPStateStore shmcb: %s", error.c_str());
    mapping = static_cast<TableMapping*>(apr_palloc(process_pool, sizeof(TableMapping)));
    mapping->shm = shm;
    mapping->bytes = bytes;
    apr_pool_userdata_set(mapping, kTableUserData, apr_pool_cleanup_null, process_pool);
    state.table_region = region;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, server,
                 "OTPStateStore shmcb: %" APR_SIZE_T_FMT " bytes, %" APR_SIZE_T_FMT " records",
                 bytes, otp::SharedTableGeometry::slots_for(bytes));
    return nullptr;
}
