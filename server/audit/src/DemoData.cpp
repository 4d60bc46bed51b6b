#include "DemoData.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/storage/SqliteStoreBackends.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/shared/ErrorCode.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/IdGenerator.hpp"

#include <Poco/Path.h>

#include <vector>

namespace verdant::server {

namespace {

using shared::Change;
using shared::RecordId;
using shared::Value;
namespace c = audit::collections;

/// Collects HQ's set-up as numbered changes from one seeding device.
class Batch {
public:
    Batch(shared::HlcClock& clock, std::string author)
        : _clock(clock),
          _device(shared::IdGenerator(shared::SystemClock::instance()).nextDeviceId()),
          _author(std::move(author)) {}

    void set(const char* collection, const RecordId& record, const char* field, Value value) {
        Change change;
        change.collection = collection;
        change.recordId = record;
        change.field = field;
        change.value = std::move(value);
        change.hlc = _clock.now();
        change.deviceId = _device;
        change.deviceSeq = _changes.size() + 1;
        change.author = _author;
        _changes.push_back(std::move(change));
    }

    const std::vector<Change>& changes() const { return _changes; }

private:
    shared::HlcClock& _clock;
    shared::DeviceId _device;
    std::string _author;
    std::vector<Change> _changes;
};

}  // namespace

void seedDemoRecords(const DemoTenant& tenant, const std::string& expertUserId,
                     const std::string& hqUserId, std::ostream& out) {
    const auto& dataDir = tenant.dataDir;
    const auto& tenantId = tenant.tenantId;
    shared::HlcClock clock(shared::SystemClock::instance(), 1);
    SqliteStoreBackends backends(dataDir, Poco::Path(dataDir).append("accounts.db").toString(),
                                 tenant.schema);
    TenantStores stores(backends, tenant.schema, clock);
    stores.with(tenantId, [&](sync::Store& store) {
        if (!store.recordIds(c::kAudits).empty()) {
            return;
        }
        shared::IdGenerator ids(shared::SystemClock::instance());
        Batch batch(clock, hqUserId);
        const auto supplier = ids.nextRecordId();
        batch.set(c::kSuppliers, supplier, "uscc", Value::string("91330100MA2DEMO001"));
        batch.set(c::kSuppliers, supplier, "name_en", Value::string("Green Dyeing Co., Ltd."));
        batch.set(c::kSuppliers, supplier, "name_zh", Value::string("绿色印染有限公司"));
        batch.set(c::kSuppliers, supplier, "tier", Value::integer(2));
        batch.set(c::kSuppliers, supplier, "risk_level", Value::string("high"));
        batch.set(c::kSuppliers, supplier, "status", Value::string("active"));
        const auto facility = ids.nextRecordId();
        batch.set(c::kFacilities, facility, "supplier_id", Value::id(supplier));
        batch.set(c::kFacilities, facility, "name", Value::string("Shaoxing dyeing plant"));
        batch.set(c::kFacilities, facility, "address",
                  Value::string("Binhai Industrial Zone, Shaoxing, Zhejiang"));
        batch.set(c::kFacilities, facility, "gps", Value::string("30.0925,120.6571"));
        batch.set(c::kFacilities, facility, "industry", Value::string("textile dyeing"));
        const auto templateVersion = ids.nextRecordId();
        batch.set(c::kTemplateVersions, templateVersion, "template_key",
                  Value::string("gsc-environment"));
        batch.set(c::kTemplateVersions, templateVersion, "version", Value::integer(1));
        batch.set(c::kTemplateVersions, templateVersion, "content",
                  Value::json(std::string(demoTemplateJson())));
        std::vector<RecordId> audits;
        const auto now = shared::SystemClock::instance().nowMs();
        for (int i = 0; i < 3; ++i) {
            const auto audit = ids.nextRecordId();
            audits.push_back(audit);
            batch.set(c::kAudits, audit, "template_version_id", Value::id(templateVersion));
            batch.set(c::kAudits, audit, "supplier_id", Value::id(supplier));
            batch.set(c::kAudits, audit, "facility_id", Value::id(facility));
            batch.set(c::kAudits, audit, "type",
                      Value::string(i == 0 ? "periodic" : (i == 1 ? "follow_up" : "initial")));
            batch.set(c::kAudits, audit, "scheduled_for",
                      Value::timestamp(now + (i + 1) * 24LL * 60 * 60 * 1000));
            batch.set(c::kAudits, audit, "state", Value::string("scheduled"));
            batch.set(c::kAudits, audit, "assignee_id", Value::string(expertUserId));
        }
        const auto result = store.apply(batch.changes());
        for (const auto& item : result.results) {
            if (item.outcome == sync::ChangeOutcome::Refused) {
                throw shared::Error(shared::ErrorCode::InternalError,
                                    "Demo data was refused: " + item.message);
            }
        }
        out << "Demo data: supplier, facility, template gsc-environment v1 and 3 audits "
               "assigned to 'expert':\n";
        for (const auto& audit : audits) {
            out << "  audit " << audit.toString() << '\n';
        }
    });
    stores.closeAll();
}

}  // namespace verdant::server
