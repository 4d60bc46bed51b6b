// A deliberate layering violation: the checker must refuse this tree.
#include "verdant/server/app/SyncServer.hpp"
