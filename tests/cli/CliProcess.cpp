#include "CliProcess.hpp"

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace verdant::test {

namespace {

/// A pipe whose ends are closed on exec (the child gets copies through dup2) and on destruction.
struct Pipe {
    std::array<int, 2> fds{-1, -1};

    Pipe() {
        if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
    }
    ~Pipe() {
        closeEnd(0);
        closeEnd(1);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    void closeEnd(int end) {
        if (fds[static_cast<std::size_t>(end)] >= 0) {
            ::close(fds[static_cast<std::size_t>(end)]);
            fds[static_cast<std::size_t>(end)] = -1;
        }
    }
    int read() const { return fds[0]; }
    int write() const { return fds[1]; }
};

std::vector<std::string> childEnvironment(const CliInput& input, const std::string& home) {
    std::vector<std::string> variables;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string variable = *entry;
        if (variable.rfind("VERDANT_", 0) != 0 && variable.rfind("HOME=", 0) != 0) {
            variables.push_back(variable);
        }
    }
    variables.push_back("HOME=" + home);
    for (const auto& [name, value] : input.environment) {
        std::string variable = name;
        variable += '=';
        variable += value;
        variables.push_back(std::move(variable));
    }
    return variables;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    result.reserve(strings.size() + 1);
    for (auto& text : strings) {
        result.push_back(text.data());
    }
    result.push_back(nullptr);
    return result;
}

}  // namespace

CliResult runProcess(const std::string& program, const std::vector<std::string>& arguments,
                     const CliInput& input, const std::string& home, std::chrono::seconds timeout) {
    Pipe in;
    Pipe out;
    Pipe err;
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in.read(), STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, out.write(), STDOUT_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, err.write(), STDERR_FILENO);

    std::vector<std::string> argvStorage{program};
    argvStorage.insert(argvStorage.end(), arguments.begin(), arguments.end());
    auto argv = pointers(argvStorage);
    auto envStorage = childEnvironment(input, home);
    auto envp = pointers(envStorage);

    pid_t pid = -1;
    const int spawned =
        ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    ::posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        throw std::runtime_error("cannot start " + program);
    }
    in.closeEnd(0);
    out.closeEnd(1);
    err.closeEnd(1);

    // The input is small (a password): it fits in the pipe's buffer, so this never blocks.
    // A child that exits without reading it must not kill the test with SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    std::size_t written = 0;
    while (written < input.stdinText.size()) {
        const auto n =
            ::write(in.write(), input.stdinText.data() + written, input.stdinText.size() - written);
        if (n <= 0) {
            break;
        }
        written += static_cast<std::size_t>(n);
    }
    in.closeEnd(1);

    CliResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 2> polled{{{out.read(), POLLIN, 0}, {err.read(), POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    int open = 2;
    while (open > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            throw std::runtime_error("verdant did not finish in time; stderr so far:\n" +
                                     result.err);
        }
        const int ready = ::poll(polled.data(), polled.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) {
            throw std::runtime_error("poll failed");
        }
        for (std::size_t i = 0; i < polled.size(); ++i) {
            if (polled[i].fd < 0 || polled[i].revents == 0) {
                continue;
            }
            char buffer[4096];
            const auto n = ::read(polled[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                polled[i].fd = -1;  // EOF: poll ignores negative descriptors
                --open;
            }
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace verdant::test
