#pragma once

// The UTF-8 check is public now (verdant/shared/Utf8.hpp); this name stays for the decoders of
// verdant_shared that include it.
#include "verdant/shared/Utf8.hpp"
