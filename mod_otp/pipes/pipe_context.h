// The request a code comes from, as exec programs and delivered codes are told about it
// (otp::PipeContext holds views; this holds the strings, so a background send can keep them
// after the request has ended).
#pragma once

#include <string>

#include "mod_otp/events/event_log.h"
#include "verify/pipe.h"

struct PipeCallContext {
    EventOrigin origin;
    std::string locale;  // the language the person sees (the page's, or the API caller's)
};

// Views of `from` (which must outlive the result), with the delivered codes' key (null where
// no code can have been sent: Basic).
otp::PipeContext otp_pipe_context(const PipeCallContext& from, const otp::HmacSha256Key* code_key);
