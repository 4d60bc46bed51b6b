#include "TestCertificates.hpp"

#include <cstdlib>
#include <stdexcept>

namespace verdant::test {

namespace {

TestCertificates make(const std::string& directory) {
    TestCertificates set{directory, directory + "/ca.pem", directory + "/server.pem",
                         directory + "/server.key"};
    const std::string command = "bash '" VERDANT_CERT_SCRIPT "' '" + directory + "' > /dev/null";
    if (std::system(command.c_str()) != 0) {  // NOLINT(cert-env33-c): fixed script, test only
        throw std::runtime_error("cannot make test certificates with " VERDANT_CERT_SCRIPT);
    }
    return set;
}

}  // namespace

const TestCertificates& TestCertificates::primary() {
    static const TestCertificates set = make(VERDANT_TEST_CERT_DIR "/primary");
    return set;
}

const TestCertificates& TestCertificates::unrelated() {
    static const TestCertificates set = make(VERDANT_TEST_CERT_DIR "/unrelated");
    return set;
}

}  // namespace verdant::test
