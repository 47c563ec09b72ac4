"""Books, their authors and loans."""
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100, unique=True)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="books")
    isbn = models.CharField(max_length=13, unique=True)
    copies = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def available(self):
        return self.copies - self.loans.filter(returned_at__isnull=True).count()

    def as_dict(self, available=None):
        return {
            "id": self.pk,
            "title": self.title,
            "author": self.author.name,
            "isbn": self.isbn,
            "copies": self.copies,
            "available": self.available() if available is None else available,
        }


class Loan(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="loans")
    borrower = models.CharField(max_length=100)
    lent_at = models.DateTimeField(auto_now_add=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    def as_dict(self):
        return {
            "id": self.pk,
            "book": self.book_id,
            "borrower": self.borrower,
            "returned": self.returned_at is not None,
        }
