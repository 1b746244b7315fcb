// Asio, Asio SSL and Beast compiled once for the whole project (their separate-compilation
// modes; see BOOST_ASIO_SEPARATE_COMPILATION in actors/CMakeLists.txt). Every other translation
// unit includes only their declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
