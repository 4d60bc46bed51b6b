#pragma once

// `--name value` and `--name=value` arguments of the benchmark drivers, after their command.

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>

namespace verdant::bench {

class Arguments {
public:
    Arguments(int argc, char** argv) {
        for (int i = 2; i < argc; ++i) {
            std::string name = argv[i];
            if (name.rfind("--", 0) != 0) {
                throw std::invalid_argument("unexpected argument " + name);
            }
            name = name.substr(2);
            const auto equals = name.find('=');
            if (equals != std::string::npos) {
                _values[name.substr(0, equals)] = name.substr(equals + 1);
            } else if (i + 1 < argc) {
                _values[name] = argv[++i];
            } else {
                throw std::invalid_argument("--" + name + " needs a value");
            }
        }
    }

    /// The value of a required option; throws std::invalid_argument when it is missing.
    std::string text(const std::string& name) const {
        const auto found = _values.find(name);
        if (found == _values.end() || found->second.empty()) {
            throw std::invalid_argument("--" + name + " is required");
        }
        return found->second;
    }

    /// A whole-number option, or `fallback` when it is absent.
    std::size_t number(const std::string& name, std::size_t fallback) const {
        return _values.count(name) == 0 ? fallback : std::stoul(text(name));
    }

private:
    std::map<std::string, std::string> _values;
};

}  // namespace verdant::bench
