#pragma once

#include <string>

namespace verdant::test {

/// A development CA with a server certificate for localhost, made by certs/make-dev-certs.sh
/// inside the build tree (never in the source tree).
struct TestCertificates {
    std::string directory;
    std::string caFile;           ///< What clients trust.
    std::string certificateFile;  ///< Server certificate + chain.
    std::string keyFile;          ///< Server private key.

    /// The suite's main set. Made on first use if the CTest fixture has not made it already.
    static const TestCertificates& primary();
    /// A second, unrelated set: a client trusting only its CA must refuse the primary server.
    static const TestCertificates& unrelated();
};

}  // namespace verdant::test
