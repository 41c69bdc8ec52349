#pragma once
// Include first in every file that uses Boost.Asio or Beast: Boost 1.74's
// asio/awaitable.hpp uses std::exchange without including <utility>, which
// GCC 12 with -std=c++20 rejects (DESIGN.md section 2, platform notes).
#include <utility>
