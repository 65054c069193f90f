// MPI start-up and shutdown, and collectives waited for by polling with a deadline.
#include "distributed/world.hpp"

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

#include "engine/error.hpp"

namespace dnntrain::distributed {

namespace {

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(fmt::format("MPI {} failed: {}", what, std::string(text, static_cast<size_t>(length))));
}

// MPI counts are int: large buffers go in chunks.
constexpr size_t kMaxCount = INT_MAX / 2;

}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

World::World(double timeout_seconds) : timeout_seconds_(timeout_seconds) {
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes (thrown as dnntrain::Error) rather than aborting inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
}

World::~World() {
  if (std::uncaught_exceptions() > 0) return;
  MPI_Finalize();
}

void World::wait(MPI_Request& request) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds_);
  while (true) {
    int done = 0;
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return;
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr,
                   "dnntrain: rank %d waited %.0f s for the other ranks; one of them died or hangs; "
                   "aborting the job\n",
                   rank_, timeout_seconds_);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    std::this_thread::yield();
  }
}

void World::progress(std::vector<MPI_Request>& requests) {
  if (requests.empty()) return;
  int flag = 0;
  check(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &flag, MPI_STATUSES_IGNORE),
        "MPI_Testall");
}

MPI_Request World::start_sum(float* values, size_t n) { return start(values, n, MPI_FLOAT); }

MPI_Request World::start(void* values, size_t n, MPI_Datatype type) {
  DNNTRAIN_CHECK(n <= kMaxCount, fmt::format("an allreduce of {} values is too large for one MPI call", n));
  MPI_Request request;
  check(MPI_Iallreduce(MPI_IN_PLACE, values, static_cast<int>(n), type, MPI_SUM, MPI_COMM_WORLD, &request),
        "MPI_Iallreduce");
  return request;
}

void World::sum(float* values, size_t n) {
  for (size_t done = 0; done < n; done += kMaxCount) {
    MPI_Request r = start(values + done, std::min(kMaxCount, n - done), MPI_FLOAT);
    wait(r);
  }
}

void World::sum(double* values, size_t n) {
  MPI_Request r = start(values, n, MPI_DOUBLE);
  wait(r);
}

void World::sum(int64_t* values, size_t n) {
  MPI_Request r = start(values, n, MPI_INT64_T);
  wait(r);
}

void World::broadcast(void* data, size_t bytes) {
  auto* p = static_cast<char*>(data);
  for (size_t done = 0; done < bytes; done += kMaxCount) {
    MPI_Request r;
    check(MPI_Ibcast(p + done, static_cast<int>(std::min(kMaxCount, bytes - done)), MPI_BYTE, 0,
                     MPI_COMM_WORLD, &r),
          "MPI_Ibcast");
    wait(r);
  }
}

}  // namespace dnntrain::distributed
