#include "RawTlsConnection.hpp"

#include "TestCertificates.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/SocketAddress.h>

#include <cctype>
#include <stdexcept>

namespace verdant::test {

RawTlsConnection::RawTlsConnection(std::uint16_t port) {
    Poco::Net::Context::Params params;
    params.caLocation = TestCertificates::primary().caFile;
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    params.loadDefaultCAs = false;
    auto context =
        Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    _socket = std::make_unique<Poco::Net::SecureStreamSocket>(
        Poco::Net::SocketAddress("127.0.0.1", port), "localhost", context);
    _socket->setReceiveTimeout(Poco::Timespan(10, 0));
}

void RawTlsConnection::send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        sent += static_cast<std::size_t>(
            _socket->sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent)));
    }
}

void RawTlsConnection::close() {
    _socket->close();
}

RawResponse RawTlsConnection::read(bool head) {
    while (_buffer.find("\r\n\r\n") == std::string::npos) {
        fill();
    }
    const auto headEnd = _buffer.find("\r\n\r\n");
    RawResponse response;
    response.status = std::stoi(_buffer.substr(9, 3));
    response.reason = _buffer.substr(13, _buffer.find("\r\n") - 13);
    std::size_t position = _buffer.find("\r\n") + 2;
    while (position < headEnd) {
        const auto lineEnd = _buffer.find("\r\n", position);
        const auto line = _buffer.substr(position, lineEnd - position);
        const auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (auto& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        response.headers[name] = line.substr(colon + 2);
        position = lineEnd + 2;
    }
    const auto length = head ? 0 : std::stoul(response.headers.at("content-length"));
    while (_buffer.size() < headEnd + 4 + length) {
        fill();
    }
    response.body = _buffer.substr(headEnd + 4, length);
    _buffer.erase(0, headEnd + 4 + length);
    return response;
}

bool RawTlsConnection::closedByServer() {
    try {
        char byte = 0;
        return _socket->receiveBytes(&byte, 1) == 0;
    } catch (const Poco::Exception&) {
        return true;
    }
}

bool RawTlsConnection::moreArrives(std::chrono::milliseconds wait) {
    _socket->setReceiveTimeout(Poco::Timespan(wait.count() * 1000));
    try {
        fill();
    } catch (const Poco::TimeoutException&) {
        return !_buffer.empty();
    }
    return true;
}

void RawTlsConnection::fill() {
    char chunk[65536];
    const int count = _socket->receiveBytes(chunk, sizeof chunk);
    if (count <= 0) {
        throw std::runtime_error("the server closed the connection without an answer");
    }
    _buffer.append(chunk, static_cast<std::size_t>(count));
}

std::string errorCodeOf(const RawResponse& response) {
    Poco::JSON::Parser parser;
    const auto body = parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
    return body->getObject("error")->getValue<std::string>("code");
}

}  // namespace verdant::test
