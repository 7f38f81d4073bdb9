#include "common/base/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace ctmr::base {
namespace {

class FileUtilTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/file_util_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& name : List()) ::unlink((dir_ + "/" + name).c_str());
    ::rmdir(dir_.c_str());
  }

  std::vector<std::string> List() const {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) return out;
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    ::closedir(d);
    return out;
  }

  std::string dir_;
};

TEST_F(FileUtilTest, WritesANewFile) {
  const std::string path = dir_ + "/oracle.out";
  ASSERT_TRUE(WriteFileAtomically(path, "hello").ok());
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "hello");
  EXPECT_EQ(List(), std::vector<std::string>{"oracle.out"});  // no .tmp left behind
}

TEST_F(FileUtilTest, ReplacesAnExistingFile) {
  const std::string path = dir_ + "/state.json";
  ASSERT_TRUE(WriteFileAtomically(path, std::string(10000, 'a')).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "short").ok());
  EXPECT_EQ(*ReadFileToString(path), "short");
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(*ReadFileToString(path), "");
  EXPECT_EQ(List(), std::vector<std::string>{"state.json"});
}

TEST_F(FileUtilTest, ReplacesByRenameNotInPlace) {
  // A reader that opened the old file keeps seeing the old bytes: the new
  // contents went to a new inode, never over the old one.
  const std::string path = dir_ + "/oracle.out";
  ASSERT_TRUE(WriteFileAtomically(path, "old tally").ok());
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  struct stat before;
  ASSERT_EQ(::fstat(fd, &before), 0);
  ASSERT_TRUE(WriteFileAtomically(path, "new tally, longer").ok());
  char buf[64];
  const ssize_t n = ::pread(fd, buf, sizeof(buf), 0);
  ::close(fd);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "old tally");
  struct stat after;
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(*ReadFileToString(path), "new tally, longer");
}

TEST_F(FileUtilTest, IgnoresAStaleTempFileFromACrash) {
  const std::string path = dir_ + "/oracle.out";
  ASSERT_TRUE(WriteFileAtomically(path, "committed").ok());
  {
    const int fd = ::open((path + ".tmp").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    const std::string junk(100000, 'j');
    ASSERT_EQ(::write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
    ::close(fd);
  }
  ASSERT_TRUE(WriteFileAtomically(path, "next").ok());
  EXPECT_EQ(*ReadFileToString(path), "next");
  // Each writer has a temp file of its own; a crashed writer's is left alone.
  EXPECT_EQ(List(), (std::vector<std::string>{"oracle.out", "oracle.out.tmp"}));
}

TEST_F(FileUtilTest, BinaryAndLargeContents) {
  std::string contents;
  for (int i = 0; i < 3 * 65536 + 123; ++i) contents += static_cast<char>(i * 7 + (i >> 8));
  contents[0] = '\0';
  const std::string path = dir_ + "/big";
  ASSERT_TRUE(WriteFileAtomically(path, contents).ok());
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, contents);
}

TEST_F(FileUtilTest, RelativePathUsesTheCurrentDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir(dir_.c_str()), 0);
  const absl::Status status = WriteFileAtomically("relative.txt", "here");
  ASSERT_EQ(::chdir(cwd), 0);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(*ReadFileToString(dir_ + "/relative.txt"), "here");
}

TEST_F(FileUtilTest, WriteIntoMissingDirectoryFailsAndNamesTheFile) {
  const std::string path = dir_ + "/no/such/dir/oracle.out";
  const absl::Status status = WriteFileAtomically(path, "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_NE(status.message().find(path), std::string::npos) << status;
}

TEST_F(FileUtilTest, FailedRenameLeavesTheTargetAndNoTempFile) {
  // A non-empty directory cannot be renamed over.
  ASSERT_EQ(::mkdir((dir_ + "/keep").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/keep/inside", "old").ok());
  EXPECT_FALSE(WriteFileAtomically(dir_ + "/keep", "new").ok());
  EXPECT_EQ(*ReadFileToString(dir_ + "/keep/inside"), "old");
  EXPECT_EQ(List(), std::vector<std::string>{"keep"});
}

// A secret (a CURVE key) must never be readable by others, not even while
// its temp file is written: the mode is the temp file's from its creation.
TEST_F(FileUtilTest, TheModeHoldsFromTheTempFilesCreation) {
  const mode_t old_umask = ::umask(0);  // nothing taken away: only `mode` protects
  const int watch = ::inotify_init1(IN_CLOEXEC);
  ASSERT_GE(watch, 0);
  ASSERT_GE(::inotify_add_watch(watch, dir_.c_str(), IN_CREATE), 0);
  // Large enough that the temp file lives while the watcher looks at it.
  const std::string contents(64 << 20, 's');
  mode_t seen = 0;
  bool looked = false;
  std::thread watcher([&] {
    alignas(inotify_event) char buffer[4096];
    const ssize_t n = ::read(watch, buffer, sizeof(buffer));
    if (n <= 0) return;
    const auto* e = reinterpret_cast<const inotify_event*>(buffer);
    struct stat st;
    if (::stat((dir_ + "/" + e->name).c_str(), &st) == 0) {
      seen = st.st_mode & 0777;
      looked = true;
    }
  });
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/secret.key", contents, Durability::kSynced, 0600).ok());
  watcher.join();
  ::close(watch);
  ::umask(old_umask);
  ASSERT_TRUE(looked) << "the temp file was gone before it could be looked at";
  EXPECT_EQ(seen, 0600u) << std::oct << seen;
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/secret.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileUtilTest, TheModeIsExactWhateverTheUmask) {
  for (const mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    const mode_t old_umask = ::umask(mask);
    ASSERT_TRUE(WriteFileAtomically(dir_ + "/f", "x", Durability::kSynced, 0640).ok());
    ::umask(old_umask);
    struct stat st;
    ASSERT_EQ(::stat((dir_ + "/f").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u) << "umask " << std::oct << mask;
  }
}

TEST_F(FileUtilTest, ReadMissingFileIsNotFound) {
  const std::string path = dir_ + "/missing";
  absl::StatusOr<std::string> read = ReadFileToString(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status();
}

TEST_F(FileUtilTest, ReadDirectoryIsAnErrorButNotNotFound) {
  absl::StatusOr<std::string> read = ReadFileToString(dir_);
  EXPECT_FALSE(read.ok());
  EXPECT_NE(read.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FileUtilTest, ReadEmptyFile) {
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/empty", "").ok());
  absl::StatusOr<std::string> read = ReadFileToString(dir_ + "/empty");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "");
}

TEST(ErrnoTextTest, DescribesErrno) {
  EXPECT_EQ(ErrnoText(ENOENT), "No such file or directory");
  EXPECT_EQ(ErrnoText(ENOSPC), "No space left on device");
}

}  // namespace
}  // namespace ctmr::base
