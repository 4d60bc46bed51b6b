#include "TrainingDemo.hpp"

#include "verdant/audit/Collections.hpp"
#include "verdant/server/storage/SqliteStoreBackends.hpp"
#include "verdant/server/storage/TenantStores.hpp"
#include "verdant/server/sync/ServerWriter.hpp"
#include "verdant/shared/HlcClock.hpp"
#include "verdant/shared/IdGenerator.hpp"
#include "verdant/training/Collections.hpp"

#include <Poco/Path.h>

#include <array>

namespace verdant::server {

namespace {

namespace c = training::collections;
using shared::RecordId;
using shared::Value;

constexpr std::int64_t kHourMs = 60LL * 60 * 1000;

struct DemoPerson {
    const char* nameZh;
    const char* nameEn;
    const char* email;
};

constexpr std::array<DemoPerson, 3> kPeople = {{
    {"王芳", "Wang Fang", "wang.fang@example.com"},
    {"李强", "Li Qiang", "li.qiang@example.com"},
    {"陈静", "Chen Jing", "chen.jing@example.com"},
}};

std::vector<ServerWrite> courseWrites(const RecordId& course) {
    return {
        {c::kCourses, course, "title_en", shared::Operation::Set,
         Value::string("Wastewater treatment basics")},
        {c::kCourses, course, "title_zh", shared::Operation::Set, Value::string("废水处理基础")},
        {c::kCourses, course, "topic", shared::Operation::Set, Value::string("wastewater")},
        {c::kCourses, course, "level", shared::Operation::Set, Value::string("introductory")},
        {c::kCourses, course, "clauses", shared::Operation::Add, Value::string("C.2.*")},
        {c::kCourses, course, "target_tiers", shared::Operation::Add, Value::string("2")},
        {c::kCourses, course, "duration_minutes", shared::Operation::Set, Value::integer(180)}};
}

std::vector<ServerWrite> sessionWrites(const RecordId& session, const RecordId& course,
                                       const std::string& coordinator, std::int64_t startsAtMs) {
    return {
        {c::kTrainingSessions, session, "course_id", shared::Operation::Set, Value::id(course)},
        {c::kTrainingSessions, session, "kind", shared::Operation::Set, Value::string("workshop")},
        {c::kTrainingSessions, session, "venue", shared::Operation::Set,
         Value::string("Shaoxing Binhai training centre, room 2")},
        {c::kTrainingSessions, session, "starts_at", shared::Operation::Set,
         Value::timestamp(startsAtMs)},
        {c::kTrainingSessions, session, "ends_at", shared::Operation::Set,
         Value::timestamp(startsAtMs + 3 * kHourMs)},
        {c::kTrainingSessions, session, "capacity", shared::Operation::Set, Value::integer(20)},
        {c::kTrainingSessions, session, "waitlist", shared::Operation::Set, Value::boolean(true)},
        {c::kTrainingSessions, session, "coordinator_id", shared::Operation::Set,
         Value::string(coordinator)},
        {c::kTrainingSessions, session, "language", shared::Operation::Set, Value::string("zh")},
        {c::kTrainingSessions, session, "late_after_minutes", shared::Operation::Set,
         Value::integer(15)},
        {c::kTrainingSessions, session, "status", shared::Operation::Set, Value::string("open")}};
}

std::vector<ServerWrite> registrationWrites(const RecordId& session,
                                            const std::optional<RecordId>& supplier,
                                            std::vector<RecordId>& registrations) {
    std::vector<ServerWrite> writes;
    for (const auto& person : kPeople) {
        const auto id = training::registrationRecordId(
            session,
            training::personKey(person.email, "", person.nameZh, supplier.value_or(RecordId())));
        registrations.push_back(id);
        writes.push_back(
            {c::kAttendance, id, "session_id", shared::Operation::Set, Value::id(session)});
        writes.push_back({c::kAttendance, id, "person_name_zh", shared::Operation::Set,
                          Value::string(person.nameZh)});
        writes.push_back({c::kAttendance, id, "person_name_en", shared::Operation::Set,
                          Value::string(person.nameEn)});
        writes.push_back(
            {c::kAttendance, id, "email", shared::Operation::Set, Value::string(person.email)});
        if (supplier) {
            writes.push_back(
                {c::kAttendance, id, "supplier_id", shared::Operation::Set, Value::id(*supplier)});
        }
        writes.push_back(
            {c::kAttendance, id, "state", shared::Operation::Set, Value::string("registered")});
    }
    return writes;
}

}  // namespace

void seedTrainingDemo(const DemoTenant& tenant, std::ostream& out) {
    const auto coordinator = tenant.userIds.find("coordinator");
    if (coordinator == tenant.userIds.end()) {
        return;
    }
    shared::HlcClock clock(shared::SystemClock::instance(), 2);
    SqliteStoreBackends backends(
        tenant.dataDir, Poco::Path(tenant.dataDir).append("accounts.db").toString(), tenant.schema);
    TenantStores stores(backends, tenant.schema, clock);
    stores.with(tenant.tenantId, [&](sync::Store& store) {
        if (!store.recordIds(c::kCourses).empty()) {
            return;
        }
        shared::IdGenerator ids(shared::SystemClock::instance());
        const auto suppliers = store.recordIds(audit::collections::kSuppliers);
        const auto supplier =
            suppliers.empty() ? std::nullopt : std::optional<RecordId>(suppliers.front());
        const auto course = ids.nextRecordId();
        const auto session = ids.nextRecordId();
        std::vector<RecordId> registrations;
        ServerWriter writer(clock, ids.nextDeviceId());
        writer.apply(store, "server", courseWrites(course));
        const auto soon = shared::SystemClock::instance().nowMs() + kHourMs;
        writer.apply(store, "server", sessionWrites(session, course, coordinator->second, soon));
        writer.apply(store, "server", registrationWrites(session, supplier, registrations));
        out << "Demo training: course 'Wastewater treatment basics', a workshop in an hour "
               "coordinated by 'coordinator', 3 registrations:\n"
            << "  session " << session.toString() << '\n';
    });
    stores.closeAll();
}

}  // namespace verdant::server
