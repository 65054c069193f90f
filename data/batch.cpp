// BatchView is a plain struct; this unit anchors the data library until the readers land.
#include "data/batch.hpp"
