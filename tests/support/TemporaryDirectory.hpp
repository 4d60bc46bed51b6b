#pragma once

#include <string>

namespace verdant::test {

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TemporaryDirectory {
public:
    TemporaryDirectory();
    ~TemporaryDirectory();
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

    const std::string& path() const { return _path; }
    /// path() + "/" + name
    std::string file(const std::string& name) const { return _path + "/" + name; }

private:
    std::string _path;
};

}  // namespace verdant::test
