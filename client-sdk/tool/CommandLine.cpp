#include "CommandLine.hpp"

#include <algorithm>
#include <cctype>

namespace verdant::cli {

namespace {

/// The spec of option `name` in any command, or null.
const OptionSpec* findOption(std::string_view name, std::span<const CommandSpec> commands) {
    for (const auto& command : commands) {
        for (const OptionSpec* option : command.options) {
            if (option->name == name) {
                return option;
            }
        }
    }
    return nullptr;
}

const CommandSpec* findCommand(std::string_view name, std::span<const CommandSpec> commands) {
    const auto found = std::find_if(commands.begin(), commands.end(),
                                    [name](const CommandSpec& spec) { return spec.name == name; });
    return found == commands.end() ? nullptr : &*found;
}

bool accepts(const CommandSpec& command, std::string_view option) {
    return std::any_of(command.options.begin(), command.options.end(),
                       [option](const OptionSpec* spec) { return spec->name == option; });
}

/// "-5" and "-0.5" are values (a score answer), not options.
bool looksLikeNumber(std::string_view argument) {
    return argument.size() > 1 && argument[0] == '-' &&
           (std::isdigit(static_cast<unsigned char>(argument[1])) != 0 || argument[1] == '.');
}

/// Prints `text` from column `indent` on, wrapped at word boundaries before column 80.
void printWrapped(std::ostream& out, std::string_view text, std::size_t indent) {
    constexpr std::size_t kWidth = 80;
    const std::size_t room = indent + 20 < kWidth ? kWidth - indent : 20;
    std::size_t column = 0;
    while (!text.empty()) {
        const auto space = text.find(' ');
        const auto word = text.substr(0, space);
        if (column != 0 && column + 1 + word.size() > room) {
            out << '\n' << std::string(indent, ' ');
            column = 0;
        } else if (column != 0) {
            out << ' ';
            ++column;
        }
        out << word;
        column += word.size();
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    }
    out << '\n';
}

std::string synopsis(const CommandSpec& command) {
    std::string text = "verdant " + std::string(command.name);
    if (!command.argumentSynopsis.empty()) {
        text += ' ';
        text += command.argumentSynopsis;
    }
    if (!command.options.empty()) {
        text += " [options]";
    }
    return text;
}

}  // namespace

std::optional<std::string> Invocation::value(std::string_view name) const {
    if (const auto found = options.find(name); found != options.end()) {
        return found->second;
    }
    return std::nullopt;
}

Invocation parseCommandLine(const std::vector<std::string>& argv,
                            std::span<const CommandSpec> commands) {
    Invocation invocation;
    // Options are collected first and checked against the command once it is known, since they
    // may come before it.
    std::vector<std::string> given;
    bool optionsEnded = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& argument = argv[i];
        const bool isOption = !optionsEnded && argument.size() > 1 && argument[0] == '-' &&
                              !looksLikeNumber(argument);
        if (!isOption) {
            if (invocation.command == nullptr) {
                invocation.command = findCommand(argument, commands);
                if (invocation.command == nullptr) {
                    throw UsageError("unknown command '" + argument + "'", nullptr);
                }
            } else {
                invocation.arguments.push_back(argument);
            }
            continue;
        }
        if (argument == "--") {
            optionsEnded = true;
            continue;
        }
        if (argument == "-h" || argument == "-v") {
            const std::string name = argument == "-h" ? "help" : "verbose";
            invocation.options[name] = "";
            given.push_back(name);
            continue;
        }
        if (argument.rfind("--", 0) != 0) {
            throw UsageError("unknown option '" + argument + "'", invocation.command);
        }
        const auto equals = argument.find('=');
        std::string name = argument.substr(2, equals == std::string::npos ? equals : equals - 2);
        if (name == "cacert") {
            name = "ca";  // the name the first version of the tool used
        }
        const OptionSpec* spec = findOption(name, commands);
        if (spec == nullptr) {
            throw UsageError("unknown option '--" + name + "'", invocation.command);
        }
        std::string value;
        if (spec->valueName.empty()) {
            if (equals != std::string::npos) {
                throw UsageError("option --" + name + " takes no value", invocation.command);
            }
        } else if (equals != std::string::npos) {
            value = argument.substr(equals + 1);
        } else if (i + 1 < argv.size()) {
            value = argv[++i];
        } else {
            std::string message = "option --" + name;
            message += " needs a value: --";
            message += name;
            message += ' ';
            message += spec->valueName;
            throw UsageError(message, invocation.command);
        }
        invocation.options[name] = std::move(value);
        given.push_back(std::move(name));
    }

    if (invocation.command == nullptr) {
        if (!invocation.help() && !given.empty()) {
            throw UsageError("no command given", nullptr);
        }
        return invocation;
    }
    for (const auto& name : given) {
        if (!accepts(*invocation.command, name)) {
            throw UsageError(std::string(invocation.command->name) + " does not take --" + name,
                             invocation.command);
        }
    }
    if (!invocation.help()) {
        const auto count = invocation.arguments.size();
        if (count < invocation.command->minArguments) {
            throw UsageError(std::string(invocation.command->name) + " needs " +
                                 std::string(invocation.command->argumentSynopsis),
                             invocation.command);
        }
        if (count > invocation.command->maxArguments) {
            throw UsageError("unexpected argument '" +
                                 invocation.arguments[invocation.command->maxArguments] + "'",
                             invocation.command);
        }
    }
    return invocation;
}

void printUsage(std::ostream& out, std::span<const CommandSpec> commands) {
    out << "usage: verdant <command> [arguments] [options]\n\n"
           "The Verdant device SDK on the command line, for field testing and demos. Only\n"
           "login, pull, push, sync and health use the network; every other command works on\n"
           "the local store offline.\n\n"
           "Commands:\n";
    std::size_t width = 0;
    for (const auto& command : commands) {
        width = std::max(width, command.name.size());
    }
    for (const auto& command : commands) {
        out << "  " << command.name << std::string(width + 3 - command.name.size(), ' ')
            << command.summary << '\n';
    }
    out << "\nCommon options (see `verdant <command> --help` for each command's own):\n"
           "  --data-dir DIR  local data (default: $VERDANT_DATA_DIR, else ~/.verdant)\n"
           "  --server URL    server (default: $VERDANT_SERVER, else the one given at login,\n"
           "                  else https://localhost:8443)\n"
           "  --ca FILE       CA certificate to trust (default: $VERDANT_CA, else the one given\n"
           "                  at login, else the system's CAs)\n"
           "  --json          print one JSON document on stdout\n"
           "  --help          print help\n\n"
           "Exit status: 0 ok, 1 the operation failed (sync incomplete, refused write, server\n"
           "unreachable), 2 usage error, 3 not signed in (run `verdant login`).\n";
}

void printHelp(std::ostream& out, const CommandSpec& command) {
    out << "usage: " << synopsis(command) << "\n\n" << command.summary << "\n";
    if (!command.description.empty()) {
        out << '\n' << command.description;
    }
    if (command.options.empty()) {
        return;
    }
    out << "\nOptions:\n";
    std::size_t width = 0;
    std::vector<std::string> names;
    for (const OptionSpec* option : command.options) {
        std::string name = "--" + std::string(option->name);
        if (!option->valueName.empty()) {
            name += ' ';
            name += option->valueName;
        }
        width = std::max(width, name.size());
        names.push_back(std::move(name));
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        out << "  " << names[i] << std::string(width + 2 - names[i].size(), ' ');
        printWrapped(out, command.options[i]->help, width + 4);
    }
}

}  // namespace verdant::cli
