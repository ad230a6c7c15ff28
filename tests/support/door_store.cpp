#include "support/door_store.hpp"

#include <stdlib.h>

#include <stdexcept>
#include <system_error>

#include "protocol/sasl.hpp"

namespace test {

temp_dir::temp_dir(std::string_view prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::shared_ptr<store::store> open_store(const temp_dir& d, const std::vector<std::string>& names,
                                         std::string_view password) {
  store::options o;
  o.dir = d.path();
  auto opened = store::store::open(o);
  if (!opened) throw std::runtime_error("store: " + opened.error());
  std::shared_ptr<store::store> s(std::move(*opened));
  for (const auto& name : names) {
    store::account a;
    a.name = name;
    a.created_ms = 1;
    auto cred = protocol::sasl::make_credential(password);
    if (!cred) throw std::runtime_error("no credential: no random numbers");
    a.credential = std::move(*cred);
    auto made = store::wait<void>([&](auto done) { s->create_account(std::move(a), std::move(done)); });
    if (!made)
      throw std::runtime_error("account " + name + ": " + std::string(store::describe(made.error())));
  }
  return s;
}

}  // namespace test
