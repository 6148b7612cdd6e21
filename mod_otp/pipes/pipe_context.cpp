#include "mod_otp/pipes/pipe_context.h"

otp::PipeContext otp_pipe_context(const PipeCallContext& from,
                                  const otp::HmacSha256Key* code_key) {
    otp::PipeContext context;
    context.customer = from.origin.customer;
    context.locale = from.locale;
    context.request_id = from.origin.request_id;
    context.location = from.origin.location;
    context.code_key = code_key;
    return context;
}
