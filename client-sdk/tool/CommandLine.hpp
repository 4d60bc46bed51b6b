#pragma once

// The command line of the `verdant` tool: which commands and options exist, how argv is read,
// and the help text printed from the same table (so --help never disagrees with the parser).

#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace verdant::cli {

/// One `--name` option. An option has the same arity in every command that accepts it, so argv
/// can be read before the command is known (`verdant --data-dir D status`).
struct OptionSpec {
    std::string_view name;       ///< Without the dashes, e.g. "data-dir".
    std::string_view valueName;  ///< e.g. "DIR"; empty for a flag that takes no value.
    std::string_view help;       ///< One line for --help.
};

/// One command: its arguments, options and help.
struct CommandSpec {
    std::string_view name;                   ///< e.g. "answer".
    std::string_view argumentSynopsis;       ///< e.g. "AUDIT_ID QUESTION_ID VALUE"; may be empty.
    std::size_t minArguments = 0;            ///< Positional arguments required.
    std::size_t maxArguments = 0;            ///< Positional arguments allowed.
    std::string_view summary;                ///< One line for the command list.
    std::string_view description;            ///< Paragraphs for --help (lines end with '\n').
    std::vector<const OptionSpec*> options;  ///< Accepted options, in help order.
};

/// A command line that does not fit the table: exit status 2, usage on stderr. `command` is the
/// command it was meant for, when that much was understood.
class UsageError : public std::runtime_error {
public:
    UsageError(const std::string& message, const CommandSpec* command)
        : std::runtime_error(message), _command(command) {}

    /// The command whose usage to print, or null for the general usage.
    const CommandSpec* command() const noexcept { return _command; }

private:
    const CommandSpec* _command;
};

/// A parsed command line. A plain value.
struct Invocation {
    const CommandSpec* command = nullptr;                     ///< Null when none was named.
    std::vector<std::string> arguments;                       ///< Positional arguments, in order.
    std::map<std::string, std::string, std::less<>> options;  ///< name → value ("" for flags).

    /// Whether `--name` was given.
    bool has(std::string_view name) const { return options.find(name) != options.end(); }
    /// The value of `--name`, if given.
    std::optional<std::string> value(std::string_view name) const;
    /// --json was given.
    bool json() const { return has("json"); }
    /// --help (or -h) was given.
    bool help() const { return has("help"); }
};

/// Reads argv against `commands`. Options may come before or after the command, as `--name
/// value` or `--name=value`; `--` ends the options (so a VALUE may start with a dash); `-h` is
/// `--help`, `-v` is `--verbose`; `--cacert` is kept as another name of `--ca`. Throws UsageError
/// for an unknown command or option, an option the command does not take, a missing option value,
/// or a wrong number of arguments (not checked when --help is given).
Invocation parseCommandLine(const std::vector<std::string>& argv,
                            std::span<const CommandSpec> commands);

/// Prints the general usage: the commands and the options they share.
void printUsage(std::ostream& out, std::span<const CommandSpec> commands);

/// Prints the help of one command: synopsis, description and every option.
void printHelp(std::ostream& out, const CommandSpec& command);

}  // namespace verdant::cli
