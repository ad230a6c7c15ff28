// chat-server account list|add|passwd|del: see account_admin.hpp.
#include "account_admin.hpp"

#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "door/services.hpp"
#include "options.hpp"
#include "password_prompt.hpp"
#include "protocol/nick.hpp"
#include "protocol/sasl.hpp"
#include "store/store.hpp"

namespace startup {

namespace {

int fail(const std::string& text, int code = kExitFailure) {
  std::fprintf(stderr, "chat-server: account: %s\n", text.c_str());
  return code;
}

std::optional<protocol::sasl::scram_credential> credential_from_stdin() {
  const auto password = read_password("account");
  if (!password) return std::nullopt;
  if (password->size() < door::kMinAccountPassword || password->size() > protocol::sasl::kMaxPassword) {
    std::fprintf(stderr, "chat-server: account: a password needs %zu to %zu bytes\n",
                 door::kMinAccountPassword, protocol::sasl::kMaxPassword);
    return std::nullopt;
  }
  return protocol::sasl::make_credential(*password);
}

}  // namespace

bool is_account_command(int argc, char** argv) {
  return argc > 1 && std::string(argv[1]) == "account";
}

int run_account_command(int argc, char** argv) {
  CLI::App app{"Manage accounts offline (the password is read from standard input)", "chat-server account"};
  app.require_subcommand(1);
  std::string dir = "chat-data";
  std::string name;
  std::string email;
  app.add_option("--data-dir", dir, "The server's data directory")->capture_default_str();
  auto* list = app.add_subcommand("list", "List the accounts");
  auto* add = app.add_subcommand("add", "Register an account");
  add->add_option("name", name, "The account (a valid nick)")->required();
  add->add_option("--email", email, "Its email address");
  auto* passwd = app.add_subcommand("passwd", "Set an account's password");
  passwd->add_option("name", name, "The account")->required();
  auto* del = app.add_subcommand("del", "Delete an account, with its certificates and channels");
  del->add_option("name", name, "The account")->required();
  for (auto* sub : {list, add, passwd, del})
    sub->add_option("--data-dir", dir, "The server's data directory");
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUsage;
  }
  store::options so;
  so.dir = dir;
  auto opened = store::store::open(so);
  if (!opened) return fail(opened.error());
  auto& db = **opened;

  if (list->parsed()) {
    auto all =
        store::wait<std::vector<store::account>>([&](auto done) { db.list_accounts(std::move(done)); });
    if (!all) return fail(std::string(store::describe(all.error())));
    for (const auto& a : *all) {
      std::printf("%s\t%s\n", a.name.c_str(), a.email.c_str());
    }
    return 0;
  }
  if (add->parsed()) {
    if (!protocol::parse_nick(name).has_value() || door::is_service_name(name)) {
      return fail(name + ": an account name must be a valid nick", kExitUsage);
    }
    auto cred = credential_from_stdin();
    if (!cred) return kExitUsage;
    store::account a;
    a.name = name;
    a.email = email;
    a.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    a.credential = std::move(*cred);
    auto r = store::wait<void>([&](auto done) { db.create_account(std::move(a), std::move(done)); });
    if (!r) return fail(name + ": " + std::string(store::describe(r.error())));
    std::printf("account %s added\n", name.c_str());
    return 0;
  }
  if (passwd->parsed()) {
    auto cred = credential_from_stdin();
    if (!cred) return kExitUsage;
    auto r =
        store::wait<void>([&](auto done) { db.set_credential(name, std::move(*cred), std::move(done)); });
    if (!r) return fail(name + ": " + std::string(store::describe(r.error())));
    std::printf("password of %s changed\n", name.c_str());
    return 0;
  }
  auto r = store::wait<void>([&](auto done) { db.drop_account(name, std::move(done)); });
  if (!r) return fail(name + ": " + std::string(store::describe(r.error())));
  std::printf("account %s deleted\n", name.c_str());
  return 0;
}

}  // namespace startup
