# Installation and the find_package(dnntrain) config (shared/notes/scale-and-operations.md §4).
