from django.urls import path

from library import views

urlpatterns = [
    path("api/books", views.books),
    path("api/books/<int:book_id>", views.book),
    path("api/books/<int:book_id>/loans", views.lend),
    path("api/loans/<int:loan_id>/return", views.give_back),
    path("books/new", views.new_book),
    path("books/<int:book_id>", views.book_page, name="book-page"),
]
