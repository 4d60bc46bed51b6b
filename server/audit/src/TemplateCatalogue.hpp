#pragma once

/// The checklist template catalogue of a tenant: checking and publishing template versions, and
/// listing them. Published versions never change; a new version is a new record.

#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/Id.hpp"
#include "verdant/sync/Store.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace verdant::server::review {

/// What publishing reads from a template document.
struct TemplateHeader {
    std::string templateId;    ///< "template_id", stored as the version's template_key.
    std::int64_t version = 0;  ///< "version", a whole number from 1.
    std::string scoringRule;   ///< "scoring_rule", a rule this server knows.
};

/// Checks a template document (see docs/protocol.md) of `documentBytes` bytes and returns its
/// identity. Throws InvalidParameter naming the first missing or ill-typed key, a duplicate
/// question id or an unknown scoring rule, then PayloadTooLarge for a document larger than a
/// template version's content may be.
TemplateHeader checkTemplateDocument(const Poco::JSON::Object& document, std::size_t documentBytes);

/// Writes template version `versionId` with `content` (a document checkTemplateDocument read as
/// `header`), published at `publishedAtMs` by `publisher`. Throws AlreadyExists when that
/// version of the template is already published. Call inside TenantStores::with.
void publishTemplateVersion(sync::Store& store, ServerWriter& writer, const std::string& publisher,
                            const shared::RecordId& versionId, const TemplateHeader& header,
                            const std::string& content, std::int64_t publishedAtMs);

/// Every live template version (id, template_key, version, scoring_rule, published_at), newest
/// first: by publication (unpublished, device-made versions last), then version.
Poco::JSON::Array::Ptr templateCatalogue(const sync::Store& store);

}  // namespace verdant::server::review
