#include "TemporaryDirectory.hpp"

#include <Poco/File.h>
#include <Poco/TemporaryFile.h>

namespace verdant::test {

TemporaryDirectory::TemporaryDirectory() : _path(Poco::TemporaryFile::tempName()) {
    Poco::File(_path).createDirectories();
}

TemporaryDirectory::~TemporaryDirectory() {
    try {
        Poco::File(_path).remove(true);
    } catch (...) {  // NOLINT(bugprone-empty-catch): best effort in a destructor
    }
}

}  // namespace verdant::test
