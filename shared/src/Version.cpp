#include "verdant/shared/Version.hpp"

namespace verdant::shared {

std::string_view versionString() noexcept {
    return VERDANT_VERSION;
}

}  // namespace verdant::shared
