#include "verdant/client/HttpsTransport.hpp"

#include "verdant/shared/ErrorCode.hpp"

#include <Poco/CountingStream.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <sstream>

namespace verdant::client {

using shared::Error;
using shared::ErrorCode;

namespace {

std::string answerLostMessage(const std::string& baseUrl, const Poco::Exception& cause) {
    return "the connection to " + baseUrl +
           " broke after the request was sent, before the answer came (" + cause.displayText() +
           ")";
}

std::string cutShortMessage(const std::string& baseUrl, std::streamsize received,
                            Poco::Int64 announced) {
    return "the connection to " + baseUrl + " ended after " + std::to_string(received) +
           " of the " + std::to_string(announced) + " bytes of the answer";
}

/// Longest idle time after which a kept-alive connection is reused.
constexpr int kIdleReuseSeconds = 4;

/// Methods a client may repeat without changing what the first attempt did (RFC 9110 9.2.2).
bool safeToRepeat(const std::string& method) {
    return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

class HttpsTransport::Session {
public:
    explicit Session(const ServerEndpoint& endpoint) {
        Poco::URI uri;
        try {
            uri = Poco::URI(endpoint.baseUrl);
        } catch (const Poco::SyntaxException&) {
            throw Error(ErrorCode::InvalidParameter, "'" + endpoint.baseUrl + "' is not a URL");
        }
        if (uri.getHost().empty() || (uri.getScheme() != "https" && uri.getScheme() != "http")) {
            throw Error(ErrorCode::InvalidParameter,
                        "'" + endpoint.baseUrl + "' is not an https:// server address");
        }
        if (uri.getScheme() == "https") {
            Poco::Net::Context::Params params;
            params.caLocation = endpoint.caFile;
            params.loadDefaultCAs = endpoint.caFile.empty();
            params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
            params.cipherList = "HIGH:!aNULL:!MD5:!RC4:!3DES";
            Poco::Net::Context::Ptr context =
                new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
            context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                      context);
        } else {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        }
        session->setTimeout(Poco::Timespan(endpoint.timeoutSeconds, 0));
        session->setKeepAlive(true);
        // Reconnect rather than reuse a connection idle for longer than the server keeps one
        // (verdant-server: 5 s). Poco's default of 8 s sent requests into connections the server
        // had already closed.
        session->setKeepAliveTimeout(Poco::Timespan(kIdleReuseSeconds, 0));
    }

    /// One attempt of send() on this connection (a new one if it is closed).
    HttpResponse exchange(Poco::Net::HTTPRequest& request, const std::string& body,
                          const std::string& baseUrl);

    std::unique_ptr<Poco::Net::HTTPClientSession> session;
};

HttpsTransport::HttpsTransport(ServerEndpoint endpoint) : _endpoint(std::move(endpoint)) {
    try {
        const Poco::URI uri(_endpoint.baseUrl);
        if (uri.getHost().empty() || (uri.getScheme() != "https" && uri.getScheme() != "http")) {
            throw Error(ErrorCode::InvalidParameter,
                        "'" + _endpoint.baseUrl + "' is not an https:// server address");
        }
    } catch (const Poco::SyntaxException&) {
        throw Error(ErrorCode::InvalidParameter, "'" + _endpoint.baseUrl + "' is not a URL");
    }
}

HttpsTransport::~HttpsTransport() = default;

HttpResponse HttpsTransport::send(const std::string& method, const std::string& path,
                                  const std::string& contentType, const std::string& body,
                                  const std::map<std::string, std::string>& headers) {
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) {
        request.set(name, value);
    }
    request.set("Accept-Encoding", "gzip");
    if (!contentType.empty()) {
        request.setContentType(contentType);
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
        request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    if (!_session) {
        // Connected on first use: an app opened offline never reads the CA file.
        try {
            _session = std::make_unique<Session>(_endpoint);
        } catch (const Error&) {
            throw;
        } catch (const Poco::Exception& e) {
            throw Error(ErrorCode::TlsUntrusted, "cannot load the trusted CA '" + _endpoint.caFile +
                                                     "': " + e.displayText());
        }
    }
    // A connection kept alive may have been closed by the server (or a proxy) while idle, which
    // shows only when it is used: a request that may be repeated gets one fresh connection.
    const bool reused = _session->session->connected();
    try {
        return _session->exchange(request, body, _endpoint.baseUrl);
    } catch (const Error& e) {
        if (!reused || !safeToRepeat(method) || e.code() == ErrorCode::TlsUntrusted) {
            throw;
        }
    }
    return _session->exchange(request, body, _endpoint.baseUrl);
}

HttpResponse HttpsTransport::Session::exchange(Poco::Net::HTTPRequest& request,
                                               const std::string& body,
                                               const std::string& baseUrl) {
    const auto& method = request.getMethod();
    // Once the whole request went out, a broken connection may have lost only the answer.
    bool sent = false;
    try {
        auto& out = session->sendRequest(request);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
        sent = static_cast<bool>(out.flush());
        Poco::Net::HTTPResponse response;
        auto& in = session->receiveResponse(response);
        HttpResponse result;
        result.status = static_cast<int>(response.getStatus());
        result.contentType = response.getContentType();
        for (const auto& [name, value] : response) {
            result.headers[name] = value;
        }
        std::ostringstream text;
        Poco::CountingInputStream counted(in);  // the bytes as they came, before inflating
        if (response.has("Content-Encoding") && response.get("Content-Encoding") == "gzip") {
            Poco::InflatingInputStream inflater(counted, Poco::InflatingStreamBuf::STREAM_GZIP);
            Poco::StreamCopier::copyStream(inflater, text);
        } else {
            Poco::StreamCopier::copyStream(counted, text);
        }
        // Poco ends a fixed-length body quietly at the connection's end: a body cut short must
        // not pass for a whole one. (A HEAD answer announces the length of a body it never has.)
        if (method != "HEAD" && response.hasContentLength() &&
            counted.chars() < response.getContentLength64()) {
            session->reset();
            throw AnswerLost(
                cutShortMessage(baseUrl, counted.chars(), response.getContentLength64()));
        }
        result.body = text.str();
        return result;
    } catch (const Poco::Net::CertificateValidationException& e) {
        session->reset();
        throw Error(ErrorCode::TlsUntrusted,
                    "the server's TLS certificate is not trusted: " + e.displayText());
    } catch (const Poco::Net::SSLException& e) {
        session->reset();
        // OpenSSL reports a chain it cannot verify as "certificate verify failed"; anything
        // else (a handshake cut short, a connection closed mid-stream) is a network fault.
        if (e.displayText().find("certificate") != std::string::npos) {
            throw Error(ErrorCode::TlsUntrusted,
                        "the server's TLS certificate is not trusted: " + e.displayText());
        }
        if (sent) {
            throw AnswerLost(answerLostMessage(baseUrl, e));
        }
        throw Error(ErrorCode::ServerUnreachable,
                    "TLS connection to " + baseUrl + " failed: " + e.displayText());
    } catch (const Poco::Exception& e) {
        session->reset();
        if (sent) {
            throw AnswerLost(answerLostMessage(baseUrl, e));
        }
        throw Error(ErrorCode::ServerUnreachable,
                    "cannot reach " + baseUrl + ": " + e.displayText());
    }
}

}  // namespace verdant::client
