#include "verdant/shared/Clock.hpp"

#include <chrono>

namespace verdant::shared {

std::int64_t SystemClock::nowMs() const {
    const auto sinceEpoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::milliseconds>(sinceEpoch).count();
}

const SystemClock& SystemClock::instance() noexcept {
    static const SystemClock kClock;
    return kClock;
}

}  // namespace verdant::shared
